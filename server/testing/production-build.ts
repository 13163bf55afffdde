// The production build the console process serves (build/), made once when missing — for e2e and process tests.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { BUILD_DIR, PROJECT_ROOT } from "../project-root.ts";

export function ensureProductionBuild(): void {
  if (fs.existsSync(path.join(BUILD_DIR, "server/index.js"))) return;
  const build = spawnSync("npx", ["remix", "vite:build"], { cwd: PROJECT_ROOT, stdio: "inherit" });
  if (build.status !== 0) throw new Error("the production build failed");
}
