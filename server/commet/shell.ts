/** What the app shell shows: the Commet connection (mode, target) and who is signed in. */
import { getCommetConnection } from "./client.ts";
import { getOrgMode } from "./mode.ts";
import { toCommetProblem } from "./errors.ts";
import { permissionsOf, type Role } from "../../app/contracts/permissions.ts";
import type { ShellInfo, ShellStaff, ShellUnsettledWrites } from "../../app/contracts/shell.ts";
import { approvalsWaitingFor } from "../approvals/index.ts";
import { unsettledSummaryFor } from "../writes/index.ts";
import { logger } from "../observability/index.ts";

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

/** The navigation's counts of unconfirmed writes; a failed read leaves them out rather than failing every page. */
async function unsettledFor(staff: { id: string; role: Role }): Promise<ShellUnsettledWrites | null> {
  try {
    return await unsettledSummaryFor(staff);
  } catch (error) {
    logger("shell").error({ err: error }, "unsettled writes could not be read");
    return null;
  }
}

/** The shell of a signed-in staff member (the connection is read only then), or the signed-out one. */
export async function loadShell(
  staff: { id: string; name: string; email: string; role: Role } | null,
): Promise<{ shell: ShellInfo | null; staff: ShellStaff | null }> {
  if (!staff) return { shell: null, staff: null };
  const { id, name, email, role } = staff;
  const [shell, approvalsWaiting, unsettledWrites] = await Promise.all([
    getShellInfo(),
    approvalsWaitingFor({ actor: { id, email }, role }),
    unsettledFor(staff),
  ]);
  return { shell, staff: { name, email, role, permissions: permissionsOf(role), approvalsWaiting, unsettledWrites } };
}
