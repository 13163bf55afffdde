/**
 * server/approvals — four-eyes approvals (docs/decisions/0017-four-eyes-approvals.md): the admins'
 * policy, the gate the write engine asks before a consequential write, the inbox, and decisions executed
 * through the exactly-once engine. Domains declare their approvable writes (defineApprovable).
 * Loading this module installs the process's gate (server/writes).
 */
import {
  APPROVAL_RULES,
  policyExpiryFormSchema,
  policyRuleFormSchema,
  decisionFormSchema,
  type ApprovalRule,
  type DecisionResult,
} from "../../app/contracts/approvals.ts";
import { canonicalAuditCustomer } from "../audit/index.ts";
import { getReadyDb } from "../db/index.ts";
import { installWriteGate, writeEngineFor, type Staff } from "../writes/index.ts";
import { createApprovals, type Approvals } from "./requests.ts";
import { loadPolicy, policyChanges, saveExpiry, saveRule } from "./policy.ts";
import { approvalTables } from "./schema.ts";
import { logger } from "../observability/index.ts";

export { defineApprovable, type Approvable } from "./approvable.ts";
export { requiresApproval, loadPolicy, saveRule, saveExpiry, type ApprovalMeasure } from "./policy.ts";
export { createApprovals, previewFingerprint, type Approvals, type ApprovalsDeps } from "./requests.ts";

let processInstance: Promise<Approvals> | undefined;

/** The process's approvals: its database, its write engine, the audit trail's customer ids. */
function processApprovals(): Promise<Approvals> {
  processInstance ??= getReadyDb().then(
    (database) =>
      createApprovals({ db: database.db, engine: writeEngineFor(), canonicalCustomer: canonicalAuditCustomer }),
    (error: unknown) => {
      processInstance = undefined;
      throw error;
    },
  );
  return processInstance;
}

installWriteGate(async (spec, engine) => (await processApprovals()).gate(spec, engine));

export const loadApprovalInbox = async (staff: Staff) => (await processApprovals()).inbox(staff);
export const loadApprovalRequest = async (requestId: string, staff: Staff) =>
  (await processApprovals()).detail(requestId, staff);
/** The navigation's count; a database hiccup shows no count rather than failing every page. */
export async function approvalsWaitingFor(staff: Staff): Promise<number | null> {
  try {
    return await (await processApprovals()).pendingCount(staff);
  } catch (error) {
    logger("approvals").error({ err: error }, "count failed");
    return null;
  }
}

/** approve / reject / execute from the request page's form. */
export async function decideApprovalRequest(
  requestId: string,
  staff: Staff,
  form: Record<string, unknown>,
): Promise<DecisionResult> {
  const parsed = decisionFormSchema.safeParse(form);
  if (!parsed.success) {
    const fieldErrors = Object.fromEntries(
      parsed.error.issues.map((issue) => [String(issue.path[0] ?? "_form"), [issue.message]]),
    );
    return { kind: "refused", status: 400, message: "Check the form", fieldErrors };
  }
  const approvals = await processApprovals();
  const intent = parsed.data;
  if (intent.intent === "approve") return approvals.approve(requestId, staff, intent);
  if (intent.intent === "reject") return approvals.reject(requestId, staff, intent.comment);
  return approvals.executeApproved(requestId, staff);
}

/** The admin page: the policy in force, and who changed each rule last. */
export async function loadApprovalPolicy() {
  const db = approvalTables((await getReadyDb()).db);
  return { policy: await loadPolicy(db), changes: await policyChanges(db) };
}

export type PolicyAnswer =
  | { ok: true; message: string }
  | { ok: false; rule: string | null; fieldErrors: Record<string, string[]>; message: string };

function toFieldErrors(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  for (const issue of issues) (errors[String(issue.path[0] ?? "_form")] ??= []).push(issue.message);
  return errors;
}

/** Saves one rule (intent save-rule) or the expiry (save-expiry); each change is an audit row. */
export async function saveApprovalPolicy(
  staff: Staff,
  form: Record<string, unknown>,
): Promise<{ status: number; body: PolicyAnswer }> {
  const db = approvalTables((await getReadyDb()).db);
  const now = Date.now();
  if (form.intent === "save-expiry") {
    const parsed = policyExpiryFormSchema.safeParse(form);
    if (!parsed.success) {
      const body = {
        ok: false as const,
        rule: "expiry",
        fieldErrors: toFieldErrors(parsed.error.issues),
        message: "Check the expiry",
      };
      return { status: 400, body };
    }
    const { changed } = await saveExpiry(db, staff, parsed.data.expiresAfterHours, now);
    return { status: 200, body: { ok: true, message: changed ? "Expiry saved" : "Nothing changed" } };
  }
  const parsed = policyRuleFormSchema.safeParse(form);
  const ruleKey = typeof form.rule === "string" ? form.rule : null;
  if (!parsed.success) {
    const body = {
      ok: false as const,
      rule: ruleKey,
      fieldErrors: toFieldErrors(parsed.error.issues),
      message: "Check the rule",
    };
    return { status: 400, body };
  }
  const def = APPROVAL_RULES[parsed.data.rule];
  const numberOf = (raw: string | undefined, field: string, errors: Record<string, string[]>) => {
    const text = raw?.trim() ?? "";
    if (!text) {
      errors[field] = ["Enter a number"];
      return null;
    }
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > 1_000_000_000) {
      errors[field] = ["A whole number, 0 or more"];
      return null;
    }
    return n;
  };
  const errors: Record<string, string[]> = {};
  let threshold: number | null = null;
  let second: number | null = null;
  if (def.threshold) {
    const raw = numberOf(parsed.data.threshold, "threshold", errors);
    // Refunds are typed in the currency's major units (dollars), stored in minor units.
    threshold = raw === null ? null : def.threshold.unit === "currency" ? raw * 100 : raw;
  }
  if ("second" in def) second = numberOf(parsed.data.second, "second", errors);
  if (Object.keys(errors).length > 0) {
    return { status: 400, body: { ok: false, rule: parsed.data.rule, fieldErrors: errors, message: "Check the rule" } };
  }
  const rule: ApprovalRule = {
    enabled: parsed.data.enabled === "on",
    threshold,
    second,
    approvers: parsed.data.approvers,
  };
  const { changed } = await saveRule(db, staff, parsed.data.rule, rule, now);
  return { status: 200, body: { ok: true, message: changed ? `${def.label}: saved` : "Nothing changed" } };
}
