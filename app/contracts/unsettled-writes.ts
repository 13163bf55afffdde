import { z } from "zod";

/**
 * Writes whose outcome Commet has not confirmed yet, as the customer page, "My unsettled writes" and the
 * navigation count show them (client-safe; the resolver is server/writes/resolver.ts).
 */

/**
 * awaiting: the resolver re-sends it with its key until Commet answers · alert: still unconfirmed after the
 * alert threshold · needs_person: the resolver gave up (attempts spent, or too close to the 24 h window).
 */
export type UnsettledState = "awaiting" | "alert" | "needs_person";

export interface UnsettledWrite {
  auditId: string;
  /** The audit action, e.g. "seats.change". */
  action: string;
  /** "seat change", "usage record", … (the action's noun). */
  what: string;
  customerId: string | null;
  idempotencyKey: string;
  by: string;
  /** True when the reader made it. */
  mine: boolean;
  createdAt: number;
  attempts: number;
  /** When the resolver tries next (null: not scheduled — settled by a person, or not picked up yet). */
  nextAttemptAt: number | null;
  lastError: string | null;
  state: UnsettledState;
  /** "attempts" | "window": why a person must settle it. */
  needsPersonReason: string | null;
  /** After this instant a re-send could apply twice: nothing is sent any more. */
  resendUntil: number;
}

export interface UnsettledCounts {
  total: number;
  /** Alerted or handed to a person. */
  attention: number;
}

export const UNSETTLED_STATE_LABELS: Record<UnsettledState, string> = {
  awaiting: "Awaiting confirmation",
  alert: "Still unconfirmed",
  needs_person: "Needs a person",
};

/** /writes/mine: settle by hand a write handed to a person, after checking the customer in Commet. */
export const settleIntentSchema = z.object({
  intent: z.literal("settle"),
  auditId: z.string().trim().min(1).max(100),
  outcome: z.enum(["applied", "not_applied"]),
  note: z
    .string()
    .trim()
    .min(3, { error: "Say what you found in Commet" })
    .max(500, { error: "At most 500 characters" }),
});
export type SettleIntent = z.infer<typeof settleIntentSchema>;

export type SettleResult = { auditId: string; tone: "good" | "warn" | "bad"; message: string };
