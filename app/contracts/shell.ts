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
  /** Writes Commet has not confirmed yet (null when they could not be read). */
  unsettledWrites?: ShellUnsettledWrites | null;
};

/** The navigation's counts of unconfirmed writes: the reader's own, and — for admins — everyone's. */
export type ShellUnsettledWrites = {
  mine: number;
  /** Of the reader's own: alerted (12 h) or handed to a person. */
  mineAttention: number;
  all: { total: number; attention: number } | null;
};
