/**
 * Why charges failed: Commet's transactions carry no failure reason; its payment.failed and
 * payment.retry_failed webhooks do, per invoice. The latest reason per invoice is kept here.
 */
import type { Kysely } from "kysely";
import { z } from "zod";
import { chunks, getReadyDb, type SchemalessDb } from "../db/index.ts";
import { webhookObserver, type WebhookDomain } from "../webhooks/index.ts";

interface PaymentFailuresTable {
  event_id: string;
  invoice_id: string;
  customer_ref: string | null;
  event: string;
  code: string | null;
  message: string | null;
  event_at: number;
}
type Db = Kysely<{ payment_failures: PaymentFailuresTable }>;
const table = (db: SchemalessDb) => db as Db;

/** One failed attempt's reason, as its webhook told it (epoch ms of the event). */
export interface FailureEvent {
  at: number;
  reason: string;
}

/** The failure events of these invoices, oldest first, by invoice id. */
export type FailureReasons = (invoiceIds: readonly string[]) => Promise<Map<string, FailureEvent[]>>;

const failedData = z.object({
  invoiceId: z.string().min(1).max(255),
  customerId: z.string().max(255).nullish(),
  failureCode: z.string().max(200).nullish(),
  failureMessage: z.string().max(1000).nullish(),
  reason: z.string().max(200).nullish(),
});

/** The reason as staff read it: "Your card was declined. (card_declined)". */
export function describeFailure(code: string | null, message: string | null): string | null {
  if (message && code) return `${message} (${code})`;
  return message ?? code?.replaceAll("_", " ") ?? null;
}

/** Records the reason of one payment.failed / payment.retry_failed event (a redelivery changes nothing). */
export async function recordPaymentFailure(
  trx: SchemalessDb,
  eventId: string,
  event: string,
  data: z.infer<typeof failedData>,
  eventAt: number,
): Promise<void> {
  await table(trx)
    .insertInto("payment_failures")
    .values({
      event_id: eventId,
      invoice_id: data.invoiceId,
      customer_ref: data.customerId ?? null,
      event,
      code: event === "payment.retry_failed" ? (data.reason ?? null) : (data.failureCode ?? null),
      message: event === "payment.retry_failed" ? "The retry failed" : (data.failureMessage ?? null),
      event_at: eventAt,
    })
    .onConflict((oc) => oc.column("event_id").doNothing())
    .execute();
}

/** What server/webhooks dispatches to payments: observers, so other domains may handle the same events. */
export const paymentWebhooks: WebhookDomain = {
  observers: [
    webhookObserver(failedData, async (data, { trx, envelope, eventAt }) => {
      if (envelope.event !== "payment.failed" && envelope.event !== "payment.retry_failed") return;
      await recordPaymentFailure(trx, envelope.id, envelope.event, data, eventAt);
    }),
  ],
};

/**
 * The reason of each failed charge: the first failure event of its invoice at or after the charge was
 * made and before the invoice's next failed charge (an attempt's webhook follows that attempt).
 */
export function matchFailures(
  failed: ReadonlyArray<{ id: string; invoiceId: string | null; createdAt: string }>,
  events: Map<string, FailureEvent[]>,
): Map<string, string> {
  const reasons = new Map<string, string>();
  const byInvoice = new Map<string, Array<{ id: string; at: number }>>();
  for (const t of failed) {
    if (!t.invoiceId) continue;
    const list = byInvoice.get(t.invoiceId) ?? [];
    list.push({ id: t.id, at: Date.parse(t.createdAt) });
    byInvoice.set(t.invoiceId, list);
  }
  for (const [invoiceId, charges] of byInvoice) {
    charges.sort((a, b) => a.at - b.at);
    const found = events.get(invoiceId) ?? [];
    charges.forEach((charge, i) => {
      const next = charges[i + 1]?.at ?? Infinity;
      const event = found.find((e) => e.at >= charge.at && e.at < next);
      if (event) reasons.set(charge.id, event.reason);
    });
  }
  return reasons;
}

/** Reads recorded failure events from `db` (default: the console's database). */
export function failureReasonsIn(db?: SchemalessDb): FailureReasons {
  return async (invoiceIds) => {
    const events = new Map<string, FailureEvent[]>();
    const wanted = [...new Set(invoiceIds)].filter(Boolean);
    if (wanted.length === 0) return events;
    const source = table(db ?? (await getReadyDb()).db);
    for (const batch of chunks(wanted, 500)) {
      const rows = await source
        .selectFrom("payment_failures")
        .select(["invoice_id", "code", "message", "event_at"])
        .where("invoice_id", "in", batch)
        .orderBy("event_at")
        .execute();
      for (const r of rows) {
        const reason = describeFailure(r.code, r.message);
        if (!reason) continue;
        const list = events.get(r.invoice_id) ?? [];
        list.push({ at: Number(r.event_at), reason });
        events.set(r.invoice_id, list);
      }
    }
    return events;
  };
}

export const failureReasons: FailureReasons = (invoiceIds) => failureReasonsIn()(invoiceIds);
