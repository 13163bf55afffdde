import { getCommetConnection } from "./client.ts";
import { getOrgMode } from "./mode.ts";
import { toCommetProblem } from "./errors.ts";

/**
 * The only facts about the Commet connection that reach the browser: the
 * mode banner and a description of the target (never the key).
 */
export type ShellInfo = { livemode: boolean | null; commetTarget: string };

export async function getShellInfo(): Promise<ShellInfo> {
  const { apiUrl, embeddedSandbox } = getCommetConnection();
  const commetTarget = embeddedSandbox ? "embedded sandbox" : (apiUrl ?? "commet.co");
  try {
    const mode = await getOrgMode();
    return { livemode: mode?.livemode ?? null, commetTarget };
  } catch (error) {
    // The page's own loader reports Commet failures; the header just shows "unknown".
    if (toCommetProblem(error)) return { livemode: null, commetTarget };
    throw error;
  }
}
