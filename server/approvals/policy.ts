/**
 * The approval policy: read from the database over the defaults, edited by admins (each change an audit
 * row in the same transaction), and the one function deciding whether a write needs a second person.
 */
import { randomUUID } from "node:crypto";
import {
  APPROVAL_RULE_KEYS,
  APPROVAL_RULES,
  DEFAULT_APPROVAL_POLICY,
  MAX_EXPIRY_HOURS,
  approvalRuleSchema,
  type ApprovalPolicy,
  type ApprovalRule,
  type ApprovalRuleKey,
} from "../../app/contracts/approvals.ts";
import { createAuditLog } from "../audit/index.ts";
import type { Staff } from "../writes/index.ts";
import { asConsoleDb, type ApprovalDb } from "./schema.ts";

const SETTINGS = "requests";

/** What a write measures against its rule (each approvable fills what its rule reads). */
export interface ApprovalMeasure {
  /** Refunds: the charge in minor units. */
  amount?: number;
  seatsFrom?: number;
  seatsTo?: number;
  /** Manual usage: the event's quantity. */
  quantity?: number;
}

/** Does this rule, as configured, hold this write? */
export function requiresApproval(key: ApprovalRuleKey, rule: ApprovalRule, measure: ApprovalMeasure): boolean {
  if (!rule.enabled) return false;
  switch (key) {
    case "payments.refund":
      // No amount (or 0): every refund.
      return !rule.threshold || (measure.amount ?? 0) > rule.threshold;
    case "seats.change": {
      const from = measure.seatsFrom ?? 0;
      const delta = Math.abs((measure.seatsTo ?? from) - from);
      if (rule.second !== null && delta > rule.second) return true;
      return rule.threshold !== null && from > 0 && (delta * 100) / from >= rule.threshold;
    }
    case "usage.record":
      return (measure.quantity ?? 0) > (rule.threshold ?? 0);
    default:
      return true;
  }
}

export async function loadPolicy(db: ApprovalDb): Promise<ApprovalPolicy> {
  const rows = await db.selectFrom("approval_policy").selectAll().execute();
  const rules = { ...DEFAULT_APPROVAL_POLICY.rules };
  let expiresAfterHours = DEFAULT_APPROVAL_POLICY.expiresAfterHours;
  for (const row of rows) {
    if (row.rule === SETTINGS) {
      const hours = Number((JSON.parse(row.config) as { expiresAfterHours?: unknown }).expiresAfterHours);
      if (Number.isInteger(hours) && hours >= 1 && hours <= MAX_EXPIRY_HOURS) expiresAfterHours = hours;
      continue;
    }
    if (!(row.rule in APPROVAL_RULES)) continue;
    const parsed = approvalRuleSchema.safeParse(JSON.parse(row.config));
    // A row this version cannot read keeps the default (stricter than dropping the rule).
    if (parsed.success) rules[row.rule as ApprovalRuleKey] = parsed.data;
  }
  return { rules, expiresAfterHours };
}

/** Who last changed each rule (for the admin page). */
export async function policyChanges(db: ApprovalDb): Promise<Record<string, { at: number; by: string }>> {
  const rows = await db.selectFrom("approval_policy").select(["rule", "updated_at", "updated_by"]).execute();
  return Object.fromEntries(rows.map((r) => [r.rule, { at: r.updated_at, by: r.updated_by }]));
}

async function upsert(db: ApprovalDb, rule: string, config: unknown, staff: Staff, now: number): Promise<void> {
  const values = { config: JSON.stringify(config), updated_at: now, updated_by: staff.actor.email };
  const updated = await db.updateTable("approval_policy").set(values).where("rule", "=", rule).executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0)
    await db
      .insertInto("approval_policy")
      .values({ rule, ...values })
      .execute();
}

/** Saves one rule and records the change (before → after) in the audit trail, in one transaction. */
export async function saveRule(
  db: ApprovalDb,
  staff: Staff,
  key: ApprovalRuleKey,
  rule: ApprovalRule,
  now: number,
): Promise<{ changed: boolean }> {
  if (!APPROVAL_RULE_KEYS.includes(key)) throw new TypeError(`unknown rule ${key}`);
  return db.transaction().execute(async (trx) => {
    const before = (await loadPolicy(trx)).rules[key];
    if (JSON.stringify(before) === JSON.stringify(rule)) return { changed: false };
    await upsert(trx, key, rule, staff, now);
    await createAuditLog(asConsoleDb(trx), { clock: () => now }).record(
      {
        actor: staff.actor,
        role: staff.role,
        action: "approvals.policy_change",
        params: { rule: key, label: APPROVAL_RULES[key].label, before, after: rule },
        idempotencyKey: `approvals-policy-${randomUUID()}`,
      },
      { status: "succeeded" },
    );
    return { changed: true };
  });
}

export async function saveExpiry(db: ApprovalDb, staff: Staff, hours: number, now: number) {
  return db.transaction().execute(async (trx) => {
    const before = (await loadPolicy(trx)).expiresAfterHours;
    if (before === hours) return { changed: false };
    await upsert(trx, SETTINGS, { expiresAfterHours: hours }, staff, now);
    await createAuditLog(asConsoleDb(trx), { clock: () => now }).record(
      {
        actor: staff.actor,
        role: staff.role,
        action: "approvals.policy_change",
        params: { rule: "expiry", label: "Requests expire after (hours)", before, after: hours },
        idempotencyKey: `approvals-policy-${randomUUID()}`,
      },
      { status: "succeeded" },
    );
    return { changed: true };
  });
}
