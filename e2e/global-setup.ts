import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BUILD_DIR } from "../server/project-root.ts";
import { spawnSandbox } from "../server/commet/local-sandbox.ts";
import { ensureProductionBuild } from "../server/testing/production-build.ts";
import { findClientBundleLeaks } from "./support/client-bundle.ts";
import { startConsole } from "./support/console-server.ts";
import { seedStaffAccounts } from "./support/staff-accounts.ts";

export const E2E_SANDBOX_KEY = "ck_local_sandbox";

/**
 * Before the journeys: a production build (made here if missing) whose client
 * bundle carries no secrets, a fresh sandbox with 60 customers in a throwaway
 * data directory, and the production console pointed at it.
 * Returns the teardown (Playwright calls it after the last test).
 */
export default async function globalSetup() {
  ensureProductionBuild();
  const leaks = findClientBundleLeaks(path.join(BUILD_DIR, "client"));
  if (leaks.length > 0) throw new Error(`the client bundle leaks server-only material:\n${leaks.join("\n")}`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "commet-e2e-"));
  const sandbox = await spawnSandbox({
    dataDir: path.join(tmp, "sandbox"),
    apiKey: E2E_SANDBOX_KEY,
    reset: true,
    customers: 60,
    log: (line) => process.env.E2E_VERBOSE && process.stderr.write(`[sandbox] ${line}\n`),
  });
  let consoleServer;
  try {
    await seedStaffAccounts(path.join(tmp, "console")); // one account per role (support/staff-accounts.ts)
    consoleServer = await startConsole({
      COMMET_API_KEY: E2E_SANDBOX_KEY,
      COMMET_API_URL: sandbox.url,
      DATA_DIR: path.join(tmp, "console"),
      // The audit journeys settle pending writes by hand; e2e/writes-resolver.spec.ts runs its own console with the resolver.
      WRITE_RESOLVER_INTERVAL_SECONDS: "0",
    });
  } catch (error) {
    await sandbox.stop();
    throw error;
  }
  process.env.E2E_BASE_URL = consoleServer.url;
  process.env.E2E_SANDBOX_URL = sandbox.url;
  process.env.E2E_TMP_DIR = tmp;
  // The harness console takes no webhooks: customers that journeys create later reach its index only with
  // the next re-sync (15 min). Journeys that compare the index with Commet look at customers before this.
  const clock = await fetch(new URL("/api/v1/test-clock", sandbox.url), { headers: { "x-api-key": E2E_SANDBOX_KEY } });
  process.env.E2E_INDEXED_BEFORE = ((await clock.json()) as { data: { now: string } }).data.now;

  return async () => {
    await consoleServer.stop();
    await sandbox.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
}
