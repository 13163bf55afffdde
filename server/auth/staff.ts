// Staff accounts managed by admins: create, change role, deactivate, reactivate, reset password, all audited.

import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { AuditLog } from "../audit/index.ts";
import { isUniqueViolation, systemClock, type Clock, type DB, type StaffRow } from "../db/index.ts";
import { DEFAULT_COST, generatePassword, hashPassword, passwordSchema, type ScryptCost } from "./password.ts";
import { ROLES, isRole, type Role } from "../../app/contracts/permissions.ts";
import type { SessionStore } from "./sessions.ts";

export interface StaffMember {
  id: string;
  email: string;
  name: string;
  role: Role;
  active: boolean;
  createdAt: number;
  updatedAt: number;
  deactivatedAt: number | null;
  lastSignInAt: number | null;
}

/** Who performs a staff change: a signed-in admin, or the system (first-run bootstrap). */
export interface StaffActor {
  id: string | null;
  email: string;
  role: Role | null;
}
export const SYSTEM_ACTOR: StaffActor = { id: null, email: "system", role: null };

export type StaffErrorCode = "email_taken" | "not_found" | "last_admin" | "self";
export class StaffError extends Error {
  constructor(
    readonly code: StaffErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "StaffError";
  }
}

export const emailSchema = z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address").max(254));

export const newStaffSchema = z.object({
  email: emailSchema,
  name: z.string().trim().min(1, "Enter a name").max(100),
  role: z.enum(ROLES),
  /** Omit to generate one (returned once by createStaff). */
  password: passwordSchema.optional(),
});
export type NewStaffInput = z.input<typeof newStaffSchema>;

export function toStaffMember(row: StaffRow): StaffMember {
  if (!isRole(row.role)) throw new Error(`Staff ${row.id} has an unknown role ${row.role}`);
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    active: row.deactivated_at === null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deactivatedAt: row.deactivated_at,
    lastSignInAt: row.last_sign_in_at,
  };
}

interface Deps {
  db: Kysely<DB>;
  audit: AuditLog;
  sessions: SessionStore;
  clock?: Clock;
  passwordCost?: ScryptCost;
}

/**
 * Staff accounts, managed by admins (the route checks "staff:manage"). Every change is audited
 * (staff.create, staff.change_role, staff.deactivate, staff.reactivate, staff.reset_password) without
 * passwords. Guards: nobody deactivates or demotes themself, and the last active admin stays.
 */
export function createStaffDirectory({ db, audit, sessions, clock = systemClock, passwordCost = DEFAULT_COST }: Deps) {
  async function findRow(id: string): Promise<StaffRow> {
    const row = await db.selectFrom("staff").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row) throw new StaffError("not_found", "No such staff account");
    return row;
  }

  async function assertAnotherActiveAdmin(exceptId: string): Promise<void> {
    const { n } = await db
      .selectFrom("staff")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("role", "=", "admin")
      .where("deactivated_at", "is", null)
      .where("id", "!=", exceptId)
      .executeTakeFirstOrThrow();
    if (Number(n) === 0) throw new StaffError("last_admin", "The console needs at least one active admin");
  }

  function audited<T>(
    actor: StaffActor,
    action: string,
    params: Record<string, unknown>,
    fn: () => Promise<T>,
    idempotencyKey?: string,
  ): Promise<T> {
    return audit.run({ actor, role: actor.role, action, params, idempotencyKey: idempotencyKey ?? randomUUID() }, fn, {
      success: () => ({ commetIds: { staffId: String(params.staffId) } }),
    });
  }

  async function list(): Promise<StaffMember[]> {
    const rows = await db.selectFrom("staff").selectAll().orderBy("email").execute();
    return rows.map(toStaffMember);
  }

  async function get(id: string): Promise<StaffMember | null> {
    const row = await db.selectFrom("staff").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toStaffMember(row) : null;
  }

  async function findByEmail(email: string): Promise<StaffRow | null> {
    const row = await db
      .selectFrom("staff")
      .selectAll()
      .where("email", "=", email.trim().toLowerCase())
      .executeTakeFirst();
    return row ?? null;
  }

  async function count(): Promise<number> {
    const { n } = await db
      .selectFrom("staff")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  /**
   * Creates an account ("invite"): without a password one is generated and returned once, for the
   * admin to hand over. Throws ZodError on bad input, StaffError("email_taken").
   */
  async function createStaff(
    actor: StaffActor,
    input: NewStaffInput,
    options: { idempotencyKey?: string } = {},
  ): Promise<{ staff: StaffMember; generatedPassword: string | null }> {
    const data = newStaffSchema.parse(input);
    const generatedPassword = data.password ? null : generatePassword();
    const passwordHash = await hashPassword(data.password ?? generatedPassword!, passwordCost);
    const id = randomUUID();
    const now = clock();
    const row: StaffRow = {
      id,
      email: data.email,
      name: data.name,
      role: data.role,
      password_hash: passwordHash,
      created_at: now,
      updated_at: now,
      deactivated_at: null,
      last_sign_in_at: null,
    };
    const params = { staffId: id, email: data.email, name: data.name, role: data.role };
    await audited(
      actor,
      "staff.create",
      params,
      async () => {
        try {
          await db.insertInto("staff").values(row).execute();
        } catch (error) {
          if (isUniqueViolation(error))
            throw new StaffError("email_taken", "An account with this email already exists");
          throw error;
        }
      },
      options.idempotencyKey,
    );
    return { staff: toStaffMember(row), generatedPassword };
  }

  async function changeRole(actor: StaffActor, staffId: string, role: Role): Promise<StaffMember> {
    if (!isRole(role)) throw new TypeError(`Unknown role ${String(role)}`);
    const before = await findRow(staffId);
    if (before.role === role) return toStaffMember(before);
    await audited(
      actor,
      "staff.change_role",
      { staffId, email: before.email, from: before.role, to: role },
      async () => {
        if (before.role === "admin") {
          if (actor.id === staffId) throw new StaffError("self", "You cannot remove your own admin role");
          await assertAnotherActiveAdmin(staffId);
        }
        await db.updateTable("staff").set({ role, updated_at: clock() }).where("id", "=", staffId).execute();
      },
    );
    return toStaffMember(await findRow(staffId));
  }

  /** Deactivates the account and ends all its sessions in the same transaction. */
  async function deactivate(actor: StaffActor, staffId: string): Promise<StaffMember> {
    const before = await findRow(staffId);
    if (before.deactivated_at !== null) return toStaffMember(before);
    await audited(actor, "staff.deactivate", { staffId, email: before.email }, async () => {
      if (actor.id === staffId) throw new StaffError("self", "You cannot deactivate your own account");
      if (before.role === "admin") await assertAnotherActiveAdmin(staffId);
      await db.transaction().execute(async (tx) => {
        const now = clock();
        await tx.updateTable("staff").set({ deactivated_at: now, updated_at: now }).where("id", "=", staffId).execute();
        await sessions.revokeAllForStaff(staffId, tx);
      });
    });
    return toStaffMember(await findRow(staffId));
  }

  async function reactivate(actor: StaffActor, staffId: string): Promise<StaffMember> {
    const before = await findRow(staffId);
    if (before.deactivated_at === null) return toStaffMember(before);
    await audited(actor, "staff.reactivate", { staffId, email: before.email }, async () => {
      await db
        .updateTable("staff")
        .set({ deactivated_at: null, updated_at: clock() })
        .where("id", "=", staffId)
        .execute();
    });
    return toStaffMember(await findRow(staffId));
  }

  /** Sets a new password (generated when omitted, returned once) and ends the account's sessions. */
  async function resetPassword(
    actor: StaffActor,
    staffId: string,
    password?: string,
  ): Promise<{ staff: StaffMember; generatedPassword: string | null }> {
    const chosen = password === undefined ? null : passwordSchema.parse(password);
    const generatedPassword = chosen ? null : generatePassword();
    const before = await findRow(staffId);
    const passwordHash = await hashPassword(chosen ?? generatedPassword!, passwordCost);
    await audited(actor, "staff.reset_password", { staffId, email: before.email }, async () => {
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable("staff")
          .set({ password_hash: passwordHash, updated_at: clock() })
          .where("id", "=", staffId)
          .execute();
        await sessions.revokeAllForStaff(staffId, tx);
      });
    });
    return { staff: toStaffMember(await findRow(staffId)), generatedPassword };
  }

  return { list, get, findByEmail, count, createStaff, changeRole, deactivate, reactivate, resetPassword };
}

export type StaffDirectory = ReturnType<typeof createStaffDirectory>;
