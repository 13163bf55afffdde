/**
 * Ingest: one row per usage event (usageEventId), whoever tells us first — Commet's usage.recorded
 * webhook or the console's manual entry — and the daily rollups updated in the same transaction.
 *
 * The webhook path runs inside the webhook intake's transaction (server/webhooks),
 * which also records the webhook event id: the event, its dedup rows and its rollups commit together
 * before the 200, so an acknowledged event is never lost and a retried or duplicated delivery adds
 * nothing (dedup on the webhook id there, on usageEventId here).
 */
import { sql } from "kysely";
import { z } from "zod";
import { chunks, type Clock } from "../../db/index.ts";
import { webhookHandler, type WebhookContext, type WebhookDomain } from "../../webhooks/index.ts";
import { dayToIso, epochDay, TIMEZONE } from "./days.ts";
import { BLOCK_DAYS, timelineDb, type TimelineDatabase, type TimelineDb } from "./schema.ts";
import type { SchemalessDb } from "../../db/index.ts";
import type { IngestStatus } from "../../../app/contracts/usage.ts";

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
  /** Manual entries: "track" (default) or "set" (quantity = the correction's signed adjustment). */
  manualKind?: "track" | "set" | null;
  manualSetValue?: number | null;
}

export type IngestResult = "recorded" | "duplicate";

/** Customer reference and plan of each event, from the directory index (two queries for a whole batch). */
async function customerContexts(
  db: TimelineDb,
  inputs: readonly UsageEventInput[],
): Promise<Array<{ ref: string; planId: string }>> {
  const subscriptionIds = [...new Set(inputs.map((i) => i.subscriptionId).filter((s): s is string => !!s))];
  const subs = new Map<string, string | null>();
  for (const ids of chunks(subscriptionIds, 500)) {
    for (const r of await db
      .selectFrom("directory_subscriptions")
      .select(["id", "plan_id"])
      .where("id", "in", ids)
      .execute()) {
      subs.set(r.id, r.plan_id);
    }
  }
  // Webhooks already carry the reference (externalId ?? id): their customer row is read only when the
  // subscription's plan is unknown; manual entries name the Commet id or the externalId.
  const subPlan = (i: UsageEventInput) => (i.subscriptionId ? (subs.get(i.subscriptionId) ?? null) : null);
  const needCustomer = [
    ...new Set(inputs.filter((i) => !(i.source === "webhook" && subPlan(i))).map((i) => i.customerId)),
  ];
  const customers = new Map<string, { id: string; external_id: string | null; plan_id: string | null }>();
  for (const refs of chunks(needCustomer, 250)) {
    const rows = await db
      .selectFrom("directory_customers")
      .select(["id", "external_id", "plan_id"])
      .where((eb) => eb.or([eb("id", "in", refs), eb("external_id", "in", refs)]))
      .execute();
    for (const r of rows) {
      customers.set(r.id, r);
      if (r.external_id !== null && !customers.has(r.external_id)) customers.set(r.external_id, r);
    }
  }
  return inputs.map((i) => {
    const plan = subPlan(i);
    if (i.source === "webhook" && plan) return { ref: i.customerId, planId: plan };
    const c = customers.get(i.customerId);
    return { ref: c ? (c.external_id ?? c.id) : i.customerId, planId: plan ?? c?.plan_id ?? "" };
  });
}

export interface RollupDelta {
  day: number;
  customerId: string;
  featureCode: string;
  planId: string;
  quantity: number;
  events: number;
}

/** Adds a delta's quantity and event count to the map's cell for `key`, creating the cell from `keyColumns`. */
function sumInto<C extends object>(
  map: Map<string, C & { total: number; events: number }>,
  key: string,
  d: RollupDelta,
  keyColumns: () => C,
): C & { total: number; events: number } {
  const cell = map.get(key);
  if (cell) {
    cell.total += d.quantity;
    cell.events += d.events;
    return cell;
  }
  const created = { ...keyColumns(), total: d.quantity, events: d.events };
  map.set(key, created);
  return created;
}

/**
 * Adds events' quantities to their customer-day, plan-day and customer-block rollups (call inside the events'
 * transaction). Deltas are summed per key first and written in key order, one upsert per table and chunk: a
 * batch of deliveries costs three statements, and concurrent writers lock rollup rows in the same order.
 */
export async function addToRollups(db: TimelineDb, deltas: readonly RollupDelta[]): Promise<void> {
  const daily = new Map<
    string,
    { day: number; customer_id: string; feature_code: string; plan_id: string; total: number; events: number }
  >();
  const perPlan = new Map<
    string,
    { day: number; plan_id: string; feature_code: string; total: number; events: number }
  >();
  for (const d of deltas) {
    const cell = sumInto(daily, `${d.day}\u0000${d.customerId}\u0000${d.featureCode}`, d, () => ({
      day: d.day,
      customer_id: d.customerId,
      feature_code: d.featureCode,
      plan_id: d.planId,
    }));
    if (d.planId > cell.plan_id) cell.plan_id = d.planId;
    sumInto(perPlan, `${d.day}\u0000${d.planId}\u0000${d.featureCode}`, d, () => ({
      day: d.day,
      plan_id: d.planId,
      feature_code: d.featureCode,
    }));
  }
  const blocks = new Map<
    string,
    { block: number; customer_id: string; feature_code: string; total: number; neg: number; events: number }
  >();
  for (const d of deltas) {
    const block = Math.floor(d.day / BLOCK_DAYS);
    const cell = sumInto(blocks, `${block}\u0000${d.customerId}\u0000${d.featureCode}`, d, () => ({
      block,
      customer_id: d.customerId,
      feature_code: d.featureCode,
      neg: 0,
    }));
    // A removal delta (events < 0, as assignMissingPlans moves an event between plans) takes back what its event added.
    cell.neg += d.events >= 0 ? Math.min(d.quantity, 0) : -Math.min(-d.quantity, 0);
  }
  const byKey = (a: [string, unknown], b: [string, unknown]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  for (const rows of chunks(
    [...blocks.entries()]
      .sort(byKey)
      .map(([, v]) => v)
      // A plan move leaves the customer's block unchanged: nothing to write.
      .filter((v) => v.total !== 0 || v.events !== 0 || v.neg !== 0),
    1000,
  )) {
    await db
      .insertInto("usage_blocks")
      .values(rows)
      .onConflict((oc) =>
        oc.columns(["block", "customer_id", "feature_code"]).doUpdateSet({
          total: sql`usage_blocks.total + excluded.total`,
          neg: sql`usage_blocks.neg + excluded.neg`,
          events: sql`usage_blocks.events + excluded.events`,
        }),
      )
      .execute();
  }
  for (const rows of chunks(
    [...daily.entries()].sort(byKey).map(([, v]) => v),
    1000,
  )) {
    await db
      .insertInto("usage_daily")
      .values(rows)
      .onConflict((oc) =>
        oc.columns(["day", "customer_id", "feature_code"]).doUpdateSet({
          total: sql`usage_daily.total + excluded.total`,
          events: sql`usage_daily.events + excluded.events`,
          plan_id: sql`case when excluded.plan_id > usage_daily.plan_id then excluded.plan_id else usage_daily.plan_id end`,
        }),
      )
      .execute();
  }
  for (const rows of chunks(
    [...perPlan.entries()].sort(byKey).map(([, v]) => v),
    1000,
  )) {
    await db
      .insertInto("usage_daily_plan")
      .values(rows)
      .onConflict((oc) =>
        oc.columns(["day", "plan_id", "feature_code"]).doUpdateSet({
          total: sql`usage_daily_plan.total + excluded.total`,
          events: sql`usage_daily_plan.events + excluded.events`,
        }),
      )
      .execute();
  }
}

/**
 * Stores usage events and updates the rollups — or, for a usageEventId known already (stored before,
 * or earlier in the same batch), only completes the stored row (webhook id, manual staff / audit
 * reference) without counting it twice. One round of queries per batch, whatever its size.
 * `db` must be a transaction (or a connection the caller serializes). Results are in input order.
 */
export async function ingestUsageEvents(
  db: SchemalessDb,
  inputs: readonly UsageEventInput[],
  now: number,
): Promise<IngestResult[]> {
  if (inputs.length === 0) return [];
  const t = timelineDb(db);
  const contexts = await customerContexts(t, inputs);
  const rows = inputs.map((input, i) => ({
    usage_event_id: input.usageEventId,
    webhook_event_id: input.webhookEventId ?? null,
    customer_id: contexts[i]!.ref,
    subscription_id: input.subscriptionId ?? null,
    feature_code: input.featureCode,
    quantity: input.quantity,
    occurred_at: input.occurredAt,
    day: epochDay(input.occurredAt),
    plan_id: contexts[i]!.planId,
    source: input.source,
    manual_staff: input.manualStaff ?? null,
    manual_audit_id: input.manualAuditId ?? null,
    manual_kind: input.source === "manual" ? (input.manualKind ?? "track") : null,
    manual_set_value: input.source === "manual" ? (input.manualSetValue ?? null) : null,
    received_at: now,
  }));
  // First occurrence of each usageEventId in the batch is the candidate for insertion.
  const firstIndex = new Map<string, number>();
  rows.forEach((r, i) => {
    if (!firstIndex.has(r.usage_event_id)) firstIndex.set(r.usage_event_id, i);
  });
  const candidates = [...firstIndex.values()].map((i) => rows[i]!);
  const inserted = new Set<string>();
  for (const part of chunks(candidates, 400)) {
    const returned = await t
      .insertInto("usage_events")
      .values(part)
      .onConflict((oc) => oc.column("usage_event_id").doNothing())
      .returning("usage_event_id")
      .execute();
    for (const r of returned) inserted.add(r.usage_event_id);
  }
  const results: IngestResult[] = [];
  const deltas: RollupDelta[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    const row = rows[i]!;
    if (inserted.has(row.usage_event_id) && firstIndex.get(row.usage_event_id) === i) {
      deltas.push({
        day: row.day,
        customerId: row.customer_id,
        featureCode: row.feature_code,
        planId: row.plan_id,
        quantity: row.quantity,
        events: 1,
      });
      results.push("recorded");
      continue;
    }
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
        .set({
          manual_staff: input.manualStaff ?? null,
          manual_audit_id: input.manualAuditId ?? null,
          manual_kind: input.manualKind ?? "track",
          manual_set_value: input.manualSetValue ?? null,
        })
        .where("usage_event_id", "=", input.usageEventId)
        .where("manual_staff", "is", null)
        .execute();
    }
    results.push("duplicate");
  }
  await addToRollups(t, deltas);
  return results;
}

/** One event: `ingestUsageEvents` with a batch of one. */
export async function ingestUsageEvent(db: SchemalessDb, input: UsageEventInput, now: number): Promise<IngestResult> {
  return (await ingestUsageEvents(db, [input], now))[0]!;
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

/** The timeline's contribution to server/webhooks: usage.recorded. */
export const usageWebhooks: WebhookDomain = {
  handlers: {
    "usage.recorded": webhookHandler(
      usageRecordedSchema,
      async (data, ctx) => {
        await ingestUsageEvent(ctx.trx, usageInput(data, ctx), ctx.now);
      },
      // A batch of deliveries committed together (the intake's group commit): one round of queries.
      async (items, trx) => {
        await ingestUsageEvents(
          trx,
          items.map((i) => usageInput(i.data, i.ctx)),
          items[0]?.ctx.now ?? Date.now(),
        );
      },
    ),
  },
};

function usageInput(data: z.infer<typeof usageRecordedSchema>, ctx: WebhookContext): UsageEventInput {
  return {
    usageEventId: data.usageEventId,
    customerId: data.customerId,
    subscriptionId: data.subscriptionId ?? null,
    featureCode: data.featureCode,
    quantity: data.value,
    occurredAt: Date.parse(data.ts),
    source: "webhook",
    webhookEventId: ctx.envelope.id,
  };
}

export const manualUsageEventSchema = z.object({
  /** The id Commet gave the event (usage.track's `id`, usage.set's `id`). */
  usageEventId: z.string().min(1).max(200),
  customerId: z.string().min(1).max(200),
  feature: z.string().min(1).max(200),
  /** What was added to the period (for usage.set: its `adjustment`). */
  quantity: z.number().finite(),
  /** "track" (default): usage.track; "set": a usage.set correction — `setTo` is the total it set. */
  kind: z.enum(["track", "set"]).default("track"),
  setTo: z.number().finite().optional(),
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
    typeof m.occurredAt === "number"
      ? m.occurredAt
      : m.occurredAt instanceof Date
        ? m.occurredAt.getTime()
        : Date.parse(m.occurredAt);
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
        manualKind: m.kind,
        manualSetValue: m.kind === "set" ? (m.setTo ?? null) : null,
      },
      clock(),
    ),
  );
  return { result: result === "recorded" ? "recorded" : "already_recorded" };
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
