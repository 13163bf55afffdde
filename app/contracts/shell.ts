/** What the app shell shows about the connection and the signed-in staff member (client-safe). */
import type { Permission, Role } from "./permissions.ts";

/** The only facts about the Commet connection that reach the browser: the mode banner and the target (never the key). */
export type ShellInfo = { livemode: boolean | null; commetTarget: string };

/** The signed-in staff member as the root loader hands it to the browser (no ids, no secrets). */
export type ShellStaff = {
  name: string;
  email: string;
  role: Role;
  permissions: Permission[];
  /** Approval requests this person may decide now (the navigation's count); null when it could not be read. */
  approvalsWaiting: number | null;
};
