// Runs the console as a child process the way `npm start` does, for the browser tests and the ingest benchmark.

import path from "node:path";
import { spawnUntilReady, type ReadyChild } from "./commet/child-process.ts";
import { TSX_LOADER } from "./commet/local-sandbox.ts";
import { PROJECT_ROOT } from "./project-root.ts";

export type ConsoleProcess = ReadyChild;

/**
 * The console as a child process, as `npm start` runs it: `server/main.ts` under tsx with this very
 * Node binary (so the PID is the server's), NODE_ENV=production, on 127.0.0.1 and a free port
 * (PORT=0) unless `env` says otherwise; resolves with its URL once it prints "console listening on
 * URL". Used by the browser tests' harness and by the ingest benchmark. `env` entries set to
 * undefined are removed from the inherited environment.
 */
export function spawnConsole(
  env: Record<string, string | undefined>,
  options: { timeoutMs?: number; nodeArgs?: string[]; log?: (line: string) => void } = {},
): Promise<ConsoleProcess> {
  return spawnUntilReady({
    name: "the console",
    command: process.execPath,
    args: [...(options.nodeArgs ?? []), "--import", TSX_LOADER, path.join(PROJECT_ROOT, "server/main.ts")],
    cwd: PROJECT_ROOT,
    env: { ...process.env, NODE_ENV: "production", HOST: "127.0.0.1", PORT: "0", ...env },
    ready: /^console listening on (https?:\/\/\S+)/,
    timeoutMs: options.timeoutMs ?? 60_000,
    log: options.log,
  });
}
