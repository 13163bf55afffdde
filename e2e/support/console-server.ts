import { randomBytes } from "node:crypto";
import path from "node:path";
import { spawnUntilReady, type ReadyChild } from "../../server/commet/child-process.ts";
import { PROJECT_ROOT, TSX_LOADER } from "../../server/commet/local-sandbox.ts";

/**
 * Starts the production console (`server/main.ts` under tsx, run by this very
 * Node binary so the PID is the server's) and resolves with its URL once it
 * prints "console listening on URL". PORT=0 lets it pick a free port.
 */
export type RunningConsole = ReadyChild;

export function startConsole(env: Record<string, string>, timeoutMs = 60_000): Promise<RunningConsole> {
  return spawnUntilReady({
    name: "the console",
    command: process.execPath,
    args: ["--import", TSX_LOADER, path.join(PROJECT_ROOT, "server/main.ts")],
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: "0",
      // With COMMET_API_KEY set the console treats itself as deployed and wants an explicit session secret.
      SESSION_SECRET: randomBytes(32).toString("base64url"),
      ...env,
    },
    ready: /^console listening on (http:\/\/\S+)/,
    timeoutMs,
    log: process.env.E2E_VERBOSE ? (line) => process.stderr.write(`[console] ${line}\n`) : undefined,
  });
}
