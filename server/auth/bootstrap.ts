// First-run staff accounts: the demo accounts of sandbox mode, or the first admin in live mode.

import type { Role } from "../../app/contracts/permissions.ts";
import { SYSTEM_ACTOR, StaffError, emailSchema, type StaffDirectory } from "./staff.ts";
import { passwordSchema } from "./password.ts";

/**
 * Demo accounts of the embedded sandbox mode, one per role. Their passwords are public on purpose
 * (README, and the sign-in page shows them in sandbox mode only). In live mode they are deactivated.
 */
export const DEMO_EMAIL_DOMAIN = "demo.local";
export const DEMO_ACCOUNTS: ReadonlyArray<{ email: string; name: string; role: Role; password: string }> = [
  { email: "admin@demo.local", name: "Demo Admin", role: "admin", password: "demo-admin-password" },
  { email: "ops@demo.local", name: "Demo Ops", role: "ops", password: "demo-ops-password" },
  { email: "support@demo.local", name: "Demo Support", role: "support", password: "demo-support-password" },
  { email: "finance@demo.local", name: "Demo Finance", role: "finance", password: "demo-finance-password" },
];
export const DEFAULT_ADMIN_EMAIL = "admin@console.local";

export interface InitialStaffOptions {
  mode: "sandbox" | "live";
  /** CONSOLE_ADMIN_EMAIL */
  adminEmail?: string;
  /** CONSOLE_ADMIN_PASSWORD; generated and printed once when absent. */
  adminPassword?: string;
  /** Where the one-time password line goes (the terminal). */
  log: (line: string) => void;
}

export interface InitialStaffResult {
  created: Array<{ email: string; role: Role }>;
  deactivated: string[];
}

function isDemo(email: string): boolean {
  return email.endsWith(`@${DEMO_EMAIL_DOMAIN}`);
}

/**
 * First-run accounts. Safe to call on every start (idempotent).
 * - sandbox mode, empty staff table: the four demo accounts, plus CONSOLE_ADMIN_EMAIL if given;
 * - live mode: when no active admin exists besides demo accounts, an admin from CONSOLE_ADMIN_EMAIL
 *   (default admin@console.local) with CONSOLE_ADMIN_PASSWORD or a generated password printed once;
 *   then any active demo account (left from a sandbox run on the same database) is deactivated.
 */
export async function ensureInitialStaff(
  directory: StaffDirectory,
  options: InitialStaffOptions,
): Promise<InitialStaffResult> {
  const result: InitialStaffResult = { created: [], deactivated: [] };
  const adminEmail = options.adminEmail ? emailSchema.parse(options.adminEmail) : undefined;
  const adminPassword = options.adminPassword ? passwordSchema.parse(options.adminPassword) : undefined;

  async function createAdmin(email: string): Promise<void> {
    try {
      const { generatedPassword } = await directory.createStaff(SYSTEM_ACTOR, {
        email,
        name: "Console admin",
        role: "admin",
        password: adminPassword,
      });
      result.created.push({ email, role: "admin" });
      options.log(
        generatedPassword
          ? `Created the first console admin ${email} with password ${generatedPassword} — shown once, keep it safe.`
          : `Created the first console admin ${email} (password from CONSOLE_ADMIN_PASSWORD).`,
      );
    } catch (error) {
      if (error instanceof StaffError && error.code === "email_taken") {
        throw new Error(
          `CONSOLE_ADMIN_EMAIL ${email} belongs to an account that is not an active admin; fix it in the staff page or choose another email`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  if (options.mode === "sandbox") {
    if ((await directory.count()) > 0) return result;
    for (const demo of DEMO_ACCOUNTS) {
      try {
        await directory.createStaff(SYSTEM_ACTOR, demo);
        result.created.push({ email: demo.email, role: demo.role });
      } catch (error) {
        if (!(error instanceof StaffError && error.code === "email_taken")) throw error; // a concurrent start won
      }
    }
    options.log(
      `Sandbox mode: demo accounts ${DEMO_ACCOUNTS.map((d) => d.email).join(", ")} (passwords in the README).`,
    );
    if (adminEmail && !isDemo(adminEmail)) await createAdmin(adminEmail);
    return result;
  }

  const staff = await directory.list();
  const realAdmin = staff.some((s) => s.role === "admin" && s.active && !isDemo(s.email));
  if (!realAdmin) await createAdmin(adminEmail ?? DEFAULT_ADMIN_EMAIL);
  for (const s of staff) {
    if (s.active && isDemo(s.email)) {
      await directory.deactivate(SYSTEM_ACTOR, s.id);
      result.deactivated.push(s.email);
    }
  }
  if (result.deactivated.length) {
    options.log(`Live mode: deactivated demo accounts ${result.deactivated.join(", ")}.`);
  }
  return result;
}
