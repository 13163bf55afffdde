/** The audit trail screen (/audit): its rows as the browser sees them, and the check / retry intents (client-safe). */
import { z } from "zod";

export type AuditRowOutcome = "in_flight" | "unknown" | "succeeded" | "failed";

/** One audit row as the browser sees it (params are redacted when stored). */
export type AuditRowView = {
  id: string;
  createdAt: number;
  finalizedAt: number | null;
  actorEmail: string;
  role: string | null;
  action: string;
  /** The customer's Commet id, and its external id beside it when the directory knows one. */
  customerId: string | null;
  customerExternalId: string | null;
  idempotencyKey: string;
  outcome: AuditRowOutcome;
  outcomeLabel: string;
  details: string;
  error: string | null;
  commetIds: string | null;
  /** May this staff member retry it with the same key (pending seat/usage write, own permission)? */
  canRetry: boolean;
};

export const auditIntentSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("check"), auditId: z.string().trim().min(1).max(100) }),
  z.object({ intent: z.literal("retry"), auditId: z.string().trim().min(1).max(100) }),
]);
export type AuditIntent = z.infer<typeof auditIntentSchema>;

export type AuditIntentResult = { auditId: string; tone: "good" | "warn" | "bad"; message: string };
