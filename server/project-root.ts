// The checkout's root, found from this file whether it runs from source (server/) or from the build (build/server/).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(dir, "server"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`No project root above ${from}`);
  }
}

export const PROJECT_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));
export const BUILD_DIR = path.join(PROJECT_ROOT, "build");
