/**
 * Why charges failed: Commet's transactions carry no failure reason; its payment.failed and
 * payment.retry_failed webhooks do, per invoice. The latest reason per invoice is kept here.
 */
import type { Kysely } from "kysely";
import { z } from "zod";
import { chunks, getReadyDb, type SchemalessDb } from "../db/index.ts";
import { webhookObserver, type WebhookDomain } from "../webhooks/index.ts";

interface PaymentFailuresTable {
  invoice_id: string;
  customer_ref: string | null;
  event: string;
  code: string | null;
  message: string | null;
  event_at: number;
}
type Db = Kysely<{ payment_failures: PaymentFailuresTable }>;
const table = (db: SchemalessDb) => db as Db;

/** Failure reasons by invoice id. */
export type FailureReasons = (invoiceIds: readonly string[]) => Promise<Map<string, string>>;

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

/** Records the reason of a payment.failed / payment.retry_failed event (a newer event wins). */
export async function recordPaymentFailure(
  trx: SchemalessDb,
  event: string,
  data: z.infer<typeof failedData>,
  eventAt: number,
): Promise<void> {
  const row = {
    invoice_id: data.invoiceId,
    customer_ref: data.customerId ?? null,
    event,
    code: event === "payment.retry_failed" ? (data.reason ?? null) : (data.failureCode ?? null),
    message: event === "payment.retry_failed" ? "The retry failed" : (data.failureMessage ?? null),
    event_at: eventAt,
  };
  await table(trx)
    .insertInto("payment_failures")
    .values(row)
    .onConflict((oc) =>
      oc
        .column("invoice_id")
        .doUpdateSet({ customer_ref: row.customer_ref, event, code: row.code, message: row.message, event_at: eventAt })
        .where("payment_failures.event_at", "<=", eventAt),
    )
    .execute();
}

/** What server/webhooks dispatches to payments: observers, so other domains may handle the same events. */
export const paymentWebhooks: WebhookDomain = {
  observers: [
    webhookObserver(failedData, async (data, { trx, envelope, eventAt }) => {
      if (envelope.event !== "payment.failed" && envelope.event !== "payment.retry_failed") return;
      await recordPaymentFailure(trx, envelope.event, data, eventAt);
    }),
  ],
};

/** Reads recorded reasons from `db` (default: the console's database). */
export function failureReasonsIn(db?: SchemalessDb): FailureReasons {
  return async (invoiceIds) => {
    const reasons = new Map<string, string>();
    const wanted = [...new Set(invoiceIds)].filter(Boolean);
    if (wanted.length === 0) return reasons;
    const source = table(db ?? (await getReadyDb()).db);
    for (const batch of chunks(wanted, 500)) {
      const rows = await source
        .selectFrom("payment_failures")
        .select(["invoice_id", "code", "message"])
        .where("invoice_id", "in", batch)
        .execute();
      for (const r of rows) {
        const text = describeFailure(r.code, r.message);
        if (text) reasons.set(r.invoice_id, text);
      }
    }
    return reasons;
  };
}

export const failureReasons: FailureReasons = (invoiceIds) => failureReasonsIn()(invoiceIds);
