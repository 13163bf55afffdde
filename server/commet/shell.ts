/** What the app shell shows: the Commet connection (mode, target) and who is signed in. */
import { getCommetConnection } from "./client.ts";
import { getOrgMode } from "./mode.ts";
import { toCommetProblem } from "./errors.ts";
import { permissionsOf, type Role } from "../../app/contracts/permissions.ts";
import type { ShellInfo, ShellStaff } from "../../app/contracts/shell.ts";

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

/** The shell of a signed-in staff member (the connection is read only then), or the signed-out one. */
export async function loadShell(
  staff: { name: string; email: string; role: Role } | null,
): Promise<{ shell: ShellInfo | null; staff: ShellStaff | null }> {
  if (!staff) return { shell: null, staff: null };
  const { name, email, role } = staff;
  return { shell: await getShellInfo(), staff: { name, email, role, permissions: permissionsOf(role) } };
}
