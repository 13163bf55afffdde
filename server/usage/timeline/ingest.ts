/**
 * Ingest: one row per usage event (usageEventId), whoever tells us first — Commet's usage.recorded
 * webhook or the console's manual entry — and the daily rollups updated in the same transaction.
 *
 * The webhook path runs inside handleCommetWebhook's transaction (server/directory/webhooks.ts),
 * which also records the webhook event id: the event, its dedup rows and its rollups commit together
 * before the 200, so an acknowledged event is never lost and a retried or duplicated delivery adds
 * nothing (dedup on the webhook id there, on usageEventId here).
 */
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { z } from "zod";
import type { Clock } from "../../db/index.ts";
import { webhookHandler, type WebhookHandlers } from "../../directory/index.ts";
import { dayToIso, epochDay, TIMEZONE } from "./days.ts";
import { timelineDb, type TimelineDatabase, type TimelineDb } from "./schema.ts";

export interface UsageEventInput {
  usageEventId: string;
  customerId: string;
  subscriptionId?: string | null;
  featureCode: string;
  quantity: number;
  occurredAt: number;
  source: "webhook" | "manual";
  webhookEventId?: string | null;
  manualStaff?: string | null;
  manualAuditId?: string | null;
}

export type IngestResult = "recorded" | "duplicate";

/**
 * Customer reference as webhooks carry it (externalId ?? id) and the plan, from the directory index.
 * Webhooks already carry the reference: their customer row is read only when the subscription is unknown.
 */
async function customerContext(
  db: TimelineDb,
  customerId: string,
  subscriptionId: string | null | undefined,
  isRef: boolean,
): Promise<{ ref: string; planId: string }> {
  const sub = subscriptionId
    ? await db.selectFrom("directory_subscriptions").select("plan_id").where("id", "=", subscriptionId).executeTakeFirst()
    : undefined;
  if (isRef && sub?.plan_id) return { ref: customerId, planId: sub.plan_id };
  const customer = await db
    .selectFrom("directory_customers")
    .select(["id", "external_id", "plan_id"])
    .where((eb) => eb.or([eb("id", "=", customerId), eb("external_id", "=", customerId)]))
    .executeTakeFirst();
  return {
    ref: customer ? (customer.external_id ?? customer.id) : customerId,
    planId: sub?.plan_id ?? customer?.plan_id ?? "",
  };
}

/** Adds one event's quantity to its customer-day and plan-day rollups (call inside the event's transaction). */
export async function addToRollups(
  db: TimelineDb,
  row: { day: number; customerId: string; featureCode: string; planId: string; quantity: number },
): Promise<void> {
  await db
    .insertInto("usage_daily")
    .values({
      day: row.day,
      customer_id: row.customerId,
      feature_code: row.featureCode,
      plan_id: row.planId,
      total: row.quantity,
      events: 1,
    })
    .onConflict((oc) =>
      oc.columns(["day", "customer_id", "feature_code"]).doUpdateSet({
        total: sql`usage_daily.total + excluded.total`,
        events: sql`usage_daily.events + 1`,
        plan_id: sql`case when excluded.plan_id > usage_daily.plan_id then excluded.plan_id else usage_daily.plan_id end`,
      }),
    )
    .execute();
  await db
    .insertInto("usage_daily_plan")
    .values({ day: row.day, plan_id: row.planId, feature_code: row.featureCode, total: row.quantity, events: 1 })
    .onConflict((oc) =>
      oc.columns(["day", "plan_id", "feature_code"]).doUpdateSet({
        total: sql`usage_daily_plan.total + excluded.total`,
        events: sql`usage_daily_plan.events + 1`,
      }),
    )
    .execute();
}

/**
 * Stores one usage event and updates the rollups — or, when its usageEventId is known already,
 * only completes the stored row (webhook id, manual staff / audit reference) without counting it twice.
 * `db` must be a transaction (or a connection the caller serializes).
 */
export async function ingestUsageEvent(db: Kysely<any>, input: UsageEventInput, now: number): Promise<IngestResult> {
  const t = timelineDb(db);
  const { ref, planId } = await customerContext(t, input.customerId, input.subscriptionId, input.source === "webhook");
  const day = epochDay(input.occurredAt);
  const inserted = await t
    .insertInto("usage_events")
    .values({
      usage_event_id: input.usageEventId,
      webhook_event_id: input.webhookEventId ?? null,
      customer_id: ref,
      subscription_id: input.subscriptionId ?? null,
      feature_code: input.featureCode,
      quantity: input.quantity,
      occurred_at: input.occurredAt,
      day,
      plan_id: planId,
      source: input.source,
      manual_staff: input.manualStaff ?? null,
      manual_audit_id: input.manualAuditId ?? null,
      received_at: now,
    })
    .onConflict((oc) => oc.column("usage_event_id").doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
    if (input.source === "webhook" && input.webhookEventId) {
      await t
        .updateTable("usage_events")
        .set({ webhook_event_id: input.webhookEventId })
        .where("usage_event_id", "=", input.usageEventId)
        .where("webhook_event_id", "is", null)
        .execute();
    } else if (input.source === "manual") {
      await t
        .updateTable("usage_events")
        .set({ manual_staff: input.manualStaff ?? null, manual_audit_id: input.manualAuditId ?? null })
        .where("usage_event_id", "=", input.usageEventId)
        .where("manual_staff", "is", null)
        .execute();
    }
    return "duplicate";
  }
  await addToRollups(t, { day, customerId: ref, featureCode: input.featureCode, planId, quantity: input.quantity });
  return "recorded";
}

/** usage.recorded data (UsageRecordedData in @commet/node 7.10.0). */
export const usageRecordedSchema = z.object({
  usageEventId: z.string().min(1).max(200),
  subscriptionId: z.string().min(1).max(200).nullable().optional(),
  customerId: z.string().min(1).max(200),
  featureCode: z.string().min(1).max(200),
  value: z.number().finite(),
  ts: z.iso.datetime({ offset: true }),
});

/**
 * The usage.recorded handler for handleCommetWebhook / commetWebhookResponse:
 * `handlers: { ...directoryWebhookHandlers, ...usageWebhookHandlers }`.
 */
export const usageWebhookHandlers: WebhookHandlers = {
  "usage.recorded": webhookHandler(usageRecordedSchema, async (data, ctx) => {
    await ingestUsageEvent(
      ctx.trx,
      {
        usageEventId: data.usageEventId,
        customerId: data.customerId,
        subscriptionId: data.subscriptionId ?? null,
        featureCode: data.featureCode,
        quantity: data.value,
        occurredAt: Date.parse(data.ts),
        source: "webhook",
        webhookEventId: ctx.envelope.id,
      },
      ctx.now,
    );
  }),
};

export const manualUsageEventSchema = z.object({
  /** The id Commet gave the event (usage.track's `id`, usage.set's `id`). */
  usageEventId: z.string().min(1).max(200),
  customerId: z.string().min(1).max(200),
  feature: z.string().min(1).max(200),
  /** What was added to the period (for usage.set: its `adjustment`). */
  quantity: z.number().finite(),
  occurredAt: z.union([z.iso.datetime({ offset: true }), z.date(), z.number().int().nonnegative()]),
  /** Staff member who entered it (email or id). */
  staff: z.string().min(1).max(320),
  /** The audit_log row of the write. */
  auditId: z.string().min(1).max(200),
});
export type ManualUsageEventInput = z.input<typeof manualUsageEventSchema>;

/**
 * Records a manual usage entry the console wrote to Commet (after Commet accepted it). Deduplicated
 * with the usage.recorded webhook of the same usageEventId in either order: counted once, and the
 * row keeps both the staff / audit reference and the webhook id. Throws ZodError on bad input.
 */
export async function recordManualUsageEvent(
  database: TimelineDatabase,
  input: ManualUsageEventInput,
  clock: Clock = Date.now,
): Promise<{ result: "recorded" | "already_recorded" }> {
  const m = manualUsageEventSchema.parse(input);
  const occurredAt =
    typeof m.occurredAt === "number" ? m.occurredAt : m.occurredAt instanceof Date ? m.occurredAt.getTime() : Date.parse(m.occurredAt);
  const result = await database.db.transaction().execute((trx) =>
    ingestUsageEvent(
      trx,
      {
        usageEventId: m.usageEventId,
        customerId: m.customerId,
        featureCode: m.feature,
        quantity: m.quantity,
        occurredAt,
        source: "manual",
        manualStaff: m.staff,
        manualAuditId: m.auditId,
      },
      clock(),
    ),
  );
  return { result: result === "recorded" ? "recorded" : "already_recorded" };
}

export interface IngestStatus {
  timezone: typeof TIMEZONE;
  /** Usage events in the timeline (webhook and manual). */
  events: number;
  /** First and last UTC day holding usage, "YYYY-MM-DD" (null when empty). */
  firstDay: string | null;
  lastDay: string | null;
  /** Latest occurredAt seen (epoch ms). */
  latestOccurredAt: number | null;
}

/** Progress of the timeline (the seeded history arriving through webhooks, then live traffic). */
export async function getIngestStatus(database: TimelineDatabase): Promise<IngestStatus> {
  const t = timelineDb(database.db);
  const agg = await t
    .selectFrom("usage_daily_plan")
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>("events"), sql<number>`0`).as("events"),
      eb.fn.min<number>("day").as("first"),
      eb.fn.max<number>("day").as("last"),
    ])
    .executeTakeFirstOrThrow();
  const latest = await t
    .selectFrom("usage_events")
    .select("occurred_at")
    .orderBy("occurred_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return {
    timezone: TIMEZONE,
    events: Number(agg.events),
    firstDay: agg.first === null ? null : dayToIso(Number(agg.first)),
    lastDay: agg.last === null ? null : dayToIso(Number(agg.last)),
    latestOccurredAt: latest ? Number(latest.occurred_at) : null,
  };
}
