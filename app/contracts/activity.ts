/**
 * Account activity on the customer page (client-safe): the kinds the timeline is filtered by, its URL
 * state, and what one entry looks like (docs/decisions/0015-account-activity.md).
 */
import { z } from "zod";

/** What the timeline can be filtered by: Commet's webhooks by subject, and the staff actions of the audit trail. */
export const ACTIVITY_KINDS = ["payments", "subscription", "invoices", "usage", "customer", "staff"] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export const ACTIVITY_KIND_LABELS: Record<ActivityKind, string> = {
  payments: "Payments",
  subscription: "Subscription",
  invoices: "Invoices",
  usage: "Usage & seats",
  customer: "Customer",
  staff: "Staff actions",
};

/** The customer page's `?activity=` (a kind, or absent for everything); a bad value means everything. */
export const activityFilterSchema = z.enum(ACTIVITY_KINDS).optional().catch(undefined);

export function parseActivityFilter(params: URLSearchParams): ActivityKind | undefined {
  return activityFilterSchema.parse(params.get("activity") ?? undefined);
}

/** Entries per page of the timeline. */
export const ACTIVITY_PAGE_SIZE = 25;

/** An opaque keyset cursor as the server hands it out (base64url). */
export const activityCursorSchema = z.string().regex(/^[A-Za-z0-9_-]{1,400}$/, { error: "Not a valid cursor" });

/** The resource route's query (/customers/:customerId/activity?kind=&cursor=); unlike the page, bad input is a 400. */
export const activityQuerySchema = z.object({
  kind: z.enum(ACTIVITY_KINDS, { error: `kind must be one of ${ACTIVITY_KINDS.join(", ")}` }).optional(),
  cursor: activityCursorSchema.optional(),
});
export type ActivityQuery = z.infer<typeof activityQuerySchema>;

export interface ActivityEntry {
  /** The webhook event id, or the audit row id. */
  id: string;
  source: "commet" | "staff";
  /** Epoch ms: the event's timestamp, or when the staff action began. */
  at: number;
  kind: ActivityKind;
  /** The webhook event type ("payment.failed") or the audit action ("seats.update"). */
  type: string;
  /** What happened, as one sentence. */
  sentence: string;
  /** Staff actions: who, and how it ended (succeeded | failed | pending). */
  actor: string | null;
  status: string | null;
  /** The stored webhook payload, or the audit row's (redacted) parameters and outcome, shown on expand. */
  payload: unknown;
}

export interface ActivityPage {
  kind: ActivityKind | null;
  entries: ActivityEntry[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** The resource route's answer. */
export type ActivityAnswer = ({ ok: true } & ActivityPage) | { ok: false; message: string };
