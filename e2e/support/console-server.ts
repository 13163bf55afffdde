import { randomBytes } from "node:crypto";
import { spawnConsole, type ConsoleProcess } from "../../server/console-process.ts";

/**
 * Starts the production console (server/console-process.ts: `server/main.ts` as `npm start` runs it,
 * on a free port) and resolves with its URL once it is listening.
 */
export type RunningConsole = ConsoleProcess;

export function startConsole(env: Record<string, string>, timeoutMs = 60_000): Promise<RunningConsole> {
  return spawnConsole(
    {
      // With COMMET_API_KEY set the console treats itself as deployed and wants an explicit session secret.
      SESSION_SECRET: randomBytes(32).toString("base64url"),
      // One process unless the run asks for workers (CONSOLE_WORKERS=2 npx playwright test): the journeys test the
      // screens, server/cluster/multi-instance.test.ts the workers; on a shared 2-core machine it also starts faster.
      CONSOLE_WORKERS: process.env.CONSOLE_WORKERS ?? "1",
      ...env,
    },
    { timeoutMs, log: process.env.E2E_VERBOSE ? (line) => process.stderr.write(`[console] ${line}\n`) : undefined },
  );
}
