import { describe, expect, it } from "vitest";
import { PERMISSIONS, ROLES, can, permissionsOf, type Permission, type Role } from "./permissions.ts";

// The role definitions, written out independently of the table under test.
const EXPECTED: Record<Role, Permission[]> = {
  support: [
    "customers:read",
    "portal:issue",
    "recovery:issue",
    "invoices:send",
    "subscriptions:cancel",
    "audit:read",
    "approvals:review",
  ],
  ops: [
    "customers:read",
    "portal:issue",
    "recovery:issue",
    "invoices:send",
    "subscriptions:cancel",
    "subscriptions:cancel-now",
    "subscriptions:change-plan",
    "payments:retry",
    "seats:write",
    "usage:write",
    "bulk:apply",
    "audit:read",
    "approvals:review",
  ],
  finance: [
    "customers:read",
    "payments:refund",
    "usage:explore",
    "revenue:read",
    "export:csv",
    "audit:read",
    "approvals:review",
  ],
  admin: [...PERMISSIONS],
};

describe("permissions", () => {
  it.each(ROLES.flatMap((role) => PERMISSIONS.map((permission) => [role, permission] as const)))(
    "%s may %s exactly as the role definitions say",
    (role, permission) => {
      expect(can(role, permission)).toBe(EXPECTED[role].includes(permission));
    },
  );

  it("ops holds everything support holds; admin holds everything", () => {
    for (const p of permissionsOf("support")) expect(can("ops", p)).toBe(true);
    expect(permissionsOf("admin")).toEqual(PERMISSIONS);
  });

  it("nobody without a role may do anything", () => {
    for (const p of PERMISSIONS) {
      expect(can(null, p)).toBe(false);
      expect(can(undefined, p)).toBe(false);
    }
  });
});
