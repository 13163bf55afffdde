/**
 * Roles and what they may do — the single table every loader and action consults.
 *   support  read all customer data, issue portal and recovery links, schedule/revert cancellations,
 *            resend invoices
 *   ops      support + change seats + record/set usage + retry failed payments + change plans +
 *            cancel immediately + bulk changes from a CSV file ("bulk:apply")
 *   finance  read all, usage explorer, revenue overview ("revenue:read"), CSV export, refunds
 *   admin    everything + manage staff
 * The audit trail (already redacted) is readable by every role — its security events (sign-ins, staff
 * administration, trail exports) by admins only ("audit:security"); exporting it is "export:csv".
 * Retrying an "outcome unknown" write needs the permission of the original action.
 * Four-eyes approvals: every role opens the inbox (its own requests, and those its role may approve by
 * the policy — never its own); admins edit the policy ("approvals:policy").
 */
export const ROLES = ["support", "ops", "finance", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSION_ROLES = {
  "customers:read": ["support", "ops", "finance", "admin"],
  "portal:issue": ["support", "ops", "admin"],
  "recovery:issue": ["support", "ops", "admin"],
  "invoices:send": ["support", "ops", "admin"],
  "subscriptions:cancel": ["support", "ops", "admin"],
  "subscriptions:cancel-now": ["ops", "admin"],
  "subscriptions:change-plan": ["ops", "admin"],
  "payments:retry": ["ops", "admin"],
  "payments:refund": ["finance", "admin"],
  "seats:write": ["ops", "admin"],
  "usage:write": ["ops", "admin"],
  "bulk:apply": ["ops", "admin"],
  "usage:explore": ["finance", "admin"],
  "revenue:read": ["finance", "admin"],
  "export:csv": ["finance", "admin"],
  "audit:read": ["support", "ops", "finance", "admin"],
  "audit:security": ["admin"],
  "staff:manage": ["admin"],
  "approvals:review": ["support", "ops", "finance", "admin"],
  "approvals:policy": ["admin"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSION_ROLES;
export const PERMISSIONS = Object.keys(PERMISSION_ROLES) as Permission[];

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

export function can(role: Role | null | undefined, permission: Permission): boolean {
  return !!role && (PERMISSION_ROLES[permission] as readonly Role[]).includes(role);
}

/** Every permission a role holds (for the UI to hide what it may not do; the server still checks). */
export function permissionsOf(role: Role): Permission[] {
  return PERMISSIONS.filter((p) => can(role, p));
}
