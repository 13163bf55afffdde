/**
 * Four-eyes approvals (client-safe): the policy's rules and defaults, the forms that edit and decide,
 * the preview an approver compares, and what the inbox shows (docs/decisions/0017-four-eyes-approvals.md).
 */
import { z } from "zod";
import { ROLES, type Role } from "./permissions.ts";

// ---------------------------------------------------------------- the policy

/**
 * The rules, one per kind of consequential write. `threshold` names what the rule's number means (null:
 * the rule has none); `bulk` holds every batch of /bulk as one request (server/bulk).
 */
export const APPROVAL_RULES = {
  "payments.refund": {
    label: "Refunds",
    help: "A full refund of a charge above the amount in USD, as Commet reports the charge (0: every refund).",
    threshold: { label: "Above amount", unit: "currency" },
  },
  "subscriptions.cancel_now": {
    label: "Immediate cancellations",
    help: "Ending a subscription now (scheduled cancellations at the period end need no approval).",
    threshold: null,
  },
  "subscriptions.downgrade": {
    label: "Plan downgrades",
    help: "A change to a cheaper plan.",
    threshold: null,
  },
  "seats.change": {
    label: "Large seat changes",
    help: "A seat change of at least the percentage of the current count, or of more than the number of seats.",
    threshold: { label: "Percent", unit: "percent" },
    second: { label: "Or more than seats", unit: "seats" },
  },
  "usage.record": {
    label: "Manual usage above a quantity",
    help: "One manual usage event whose quantity is above the number.",
    threshold: { label: "Above quantity", unit: "quantity" },
  },
  "usage.lower": {
    label: "Corrections that lower usage",
    help: "Setting a period total below the current one.",
    threshold: null,
  },
  bulk: {
    label: "Bulk operations",
    help: "Every batch of bulk changes from a file (/bulk), as one request for the whole batch.",
    threshold: null,
  },
} as const satisfies Record<
  string,
  {
    label: string;
    help: string;
    threshold: { label: string; unit: string } | null;
    second?: { label: string; unit: string };
  }
>;

export type ApprovalRuleKey = keyof typeof APPROVAL_RULES;
export const APPROVAL_RULE_KEYS = Object.keys(APPROVAL_RULES) as ApprovalRuleKey[];

export interface ApprovalRule {
  enabled: boolean;
  /** refunds: minor units of the charge's currency; seats: percent; usage.record: quantity; else null. */
  threshold: number | null;
  /** seats: the absolute number of seats; else null. */
  second: number | null;
  /** Who may approve (never the requester, whatever the role). */
  approvers: Role[];
}

export interface ApprovalPolicy {
  rules: Record<ApprovalRuleKey, ApprovalRule>;
  /** How long a request waits for a decision (1–24 h). */
  expiresAfterHours: number;
}

export const DEFAULT_EXPIRY_HOURS = 24;
export const MAX_EXPIRY_HOURS = 24;

export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = {
  rules: {
    "payments.refund": { enabled: true, threshold: 50_000, second: null, approvers: ["finance", "admin"] },
    "subscriptions.cancel_now": { enabled: true, threshold: null, second: null, approvers: ["ops", "admin"] },
    "subscriptions.downgrade": { enabled: false, threshold: null, second: null, approvers: ["ops", "admin"] },
    "seats.change": { enabled: true, threshold: 50, second: 20, approvers: ["ops", "admin"] },
    "usage.record": { enabled: true, threshold: 10_000, second: null, approvers: ["ops", "admin"] },
    "usage.lower": { enabled: true, threshold: null, second: null, approvers: ["ops", "admin"] },
    bulk: { enabled: true, threshold: null, second: null, approvers: ["admin"] },
  },
  expiresAfterHours: DEFAULT_EXPIRY_HOURS,
};

const threshold = z.coerce
  .number({ error: "Enter a number" })
  .int("Whole numbers only")
  .min(0, "Cannot be negative")
  .max(1_000_000_000, "Too large");

/** One rule as stored (JSON) and as the admin form sends it. */
export const approvalRuleSchema = z.object({
  enabled: z.boolean(),
  threshold: threshold.nullable(),
  second: threshold.nullable(),
  approvers: z.array(z.enum(ROLES)).min(1, "Choose at least one role that may approve"),
});

/** The admin form of one rule: checkboxes arrive as "on" or absent; roles as repeated fields. */
export const policyRuleFormSchema = z.object({
  intent: z.literal("save-rule"),
  rule: z.enum(APPROVAL_RULE_KEYS as [ApprovalRuleKey, ...ApprovalRuleKey[]], { error: "Unknown rule" }),
  enabled: z.literal("on").optional(),
  threshold: z.string().optional(),
  second: z.string().optional(),
  approvers: z.array(z.enum(ROLES, { error: "Unknown role" })).min(1, "Choose at least one role that may approve"),
});

export const policyExpiryFormSchema = z.object({
  intent: z.literal("save-expiry"),
  expiresAfterHours: z.coerce
    .number({ error: "Enter a number of hours" })
    .int("Whole hours")
    .min(1, "At least 1 hour")
    .max(MAX_EXPIRY_HOURS, `At most ${MAX_EXPIRY_HOURS} hours`),
});

// ---------------------------------------------------------------- previews and requests

/** What a write will do, as an approver compares it: one line per fact, compared by label. */
export interface ApprovalPreview {
  summary: string;
  facts: Array<{ label: string; value: string }>;
  /** Why it cannot be approved as it stands (e.g. the charge is refunded already); null when it can. */
  blocked: string | null;
}

/** The labels whose values differ between two previews (a fact present in one only counts). */
export function previewDifferences(before: ApprovalPreview, after: ApprovalPreview): string[] {
  const labels = new Set([...before.facts, ...after.facts].map((f) => f.label));
  const value = (p: ApprovalPreview, label: string) => p.facts.find((f) => f.label === label)?.value ?? null;
  const changed = [...labels].filter((label) => value(before, label) !== value(after, label));
  if (before.blocked !== after.blocked) changed.push("Can be approved");
  return changed;
}

export const APPROVAL_STATUSES = ["pending", "approved", "rejected", "expired"] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export interface ApprovalRequestView {
  id: string;
  action: string;
  rule: ApprovalRuleKey;
  ruleLabel: string;
  customerId: string;
  summary: string;
  requestedBy: string;
  requestedAt: number;
  expiresAt: number;
  approvers: Role[];
  status: ApprovalStatus;
  decidedBy: string | null;
  decidedAt: number | null;
  comment: string | null;
  /** The write's audit row once executed, and how it ended there (pending = outcome unknown). */
  writeAuditId: string | null;
  outcome: "succeeded" | "failed" | "pending" | null;
  idempotencyKey: string;
}

export interface ApprovalDetail {
  request: ApprovalRequestView;
  /** The preview the requester saw when submitting. */
  original: ApprovalPreview;
  /** Computed now (pending requests only); null when it could not be read (message in `freshError`). */
  fresh: ApprovalPreview | null;
  freshError: string | null;
  /** The fingerprint of `fresh` the approve form must carry. */
  fingerprint: string | null;
  differences: string[];
  /** What the reader may do. */
  canDecide: boolean;
  /** Why not (own request, role, decided already). */
  cannotDecide: string | null;
  /** Approved but the write never ran (a crash between the decision and the call): run it. */
  canExecute: boolean;
}

export const approveFormSchema = z.object({
  intent: z.literal("approve"),
  fingerprint: z.string().regex(/^[a-f0-9]{64}$/, "The preview's fingerprint is missing: reload the request"),
  acknowledge: z.literal("on").optional(),
});

export const rejectFormSchema = z.object({
  intent: z.literal("reject"),
  comment: z.string().trim().min(3, "Say why the request is rejected").max(500, "At most 500 characters"),
});

export const executeFormSchema = z.object({ intent: z.literal("execute") });

export const decisionFormSchema = z.discriminatedUnion("intent", [
  approveFormSchema,
  rejectFormSchema,
  executeFormSchema,
]);

/** The answer of a decision (approve / reject / execute) on the request page. */
export type DecisionResult =
  | { kind: "approved"; message: string; outcome: "succeeded" | "failed" | "pending" | "already" }
  | { kind: "rejected"; message: string }
  | { kind: "stale_preview"; message: string; fresh: ApprovalPreview; fingerprint: string; differences: string[] }
  | { kind: "refused"; status: 400 | 403 | 404 | 409; message: string; fieldErrors?: Record<string, string[]> };

export function decisionStatus(result: DecisionResult): number {
  switch (result.kind) {
    case "approved":
    case "rejected":
      return 200;
    case "stale_preview":
      return 409;
    case "refused":
      return result.status;
  }
}

export const APPROVAL_STATUS_LABELS: Record<ApprovalStatus, string> = {
  pending: "Waiting for approval",
  approved: "Approved",
  rejected: "Rejected",
  expired: "Expired",
};

export function rolesLabel(roles: readonly Role[]): string {
  return roles.length <= 1 ? (roles[0] ?? "nobody") : `${roles.slice(0, -1).join(", ")} or ${roles.at(-1)}`;
}
