/**
 * The customer page's Usage tab: per feature, the daily series of a range (UTC days), Commet's
 * included amount and current period boundaries, and the console's manual entries as annotations.
 */
import { loadLiveUsage, type TimelineCommet } from "./commet.ts";
import { dayToIso, rangeDays, TIMEZONE, type DayRange } from "./days.ts";
import { customerRefs } from "./explorer.ts";
import { timelineDb, type TimelineDatabase } from "./schema.ts";
import type { CustomerUsage, CustomerUsageTab } from "../../../app/contracts/usage.ts";

/** Timeline only (no Commet call). */
export async function customerUsage(
  database: TimelineDatabase,
  customerId: string,
  range: DayRange,
): Promise<CustomerUsage> {
  const db = timelineDb(database.db);
  const refs = await customerRefs(db, customerId);
  // Two independent reads: in parallel (on PostgreSQL they use two pool connections).
  const [rows, manual] = await Promise.all([
    db
      .selectFrom("usage_daily")
      .select(["day", "feature_code", "total", "events"])
      .where("customer_id", "in", refs)
      .where("day", ">=", range.fromDay)
      .where("day", "<=", range.toDay)
      .execute(),
    db
      .selectFrom("usage_events")
      .select([
        "usage_event_id",
        "feature_code",
        "quantity",
        "occurred_at",
        "manual_staff",
        "manual_audit_id",
        "manual_kind",
        "manual_set_value",
      ])
      .where("customer_id", "in", refs)
      .where("occurred_at", ">=", range.fromDay * 86_400_000)
      .where("occurred_at", "<", (range.toDay + 1) * 86_400_000)
      // Every manual entry has its audit reference (also when the webhook arrived first): usage_events_manual.
      .where("manual_audit_id", "is not", null)
      .orderBy("occurred_at")
      .execute(),
  ]);
  const days = rangeDays(range);
  const byFeature = new Map<string, Array<{ date: string; total: number; events: number }>>();
  for (const r of rows) {
    let series = byFeature.get(r.feature_code);
    if (!series) {
      series = days.map((d) => ({ date: dayToIso(d), total: 0, events: 0 }));
      byFeature.set(r.feature_code, series);
    }
    const point = series[Number(r.day) - range.fromDay]!;
    point.total += Number(r.total);
    point.events += Number(r.events);
  }
  return {
    timezone: TIMEZONE,
    customerId,
    from: dayToIso(range.fromDay),
    to: dayToIso(range.toDay),
    features: [...byFeature.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([code, series]) => ({ code, total: series.reduce((s, p) => s + p.total, 0), series })),
    annotations: manual.map((m) => ({
      usageEventId: m.usage_event_id,
      featureCode: m.feature_code,
      quantity: Number(m.quantity),
      occurredAt: Number(m.occurred_at),
      date: dayToIso(Math.floor(Number(m.occurred_at) / 86_400_000)),
      staff: m.manual_staff,
      auditId: m.manual_audit_id,
      kind: m.manual_kind === "set" ? ("set" as const) : ("track" as const),
      setTo: m.manual_set_value === null ? null : Number(m.manual_set_value),
    })),
  };
}

/** Timeline + Commet's live limits and period (one getActive + one featureAccess.list). */
export async function customerUsageTab(
  database: TimelineDatabase,
  commet: TimelineCommet,
  customerId: string,
  range: DayRange,
): Promise<CustomerUsageTab> {
  const [timeline, live] = await Promise.all([
    customerUsage(database, customerId, range),
    loadLiveUsage(commet, customerId),
  ]);
  const known = new Set(timeline.features.map((f) => f.code));
  const features = [...timeline.features];
  for (const f of live.features) {
    if (!known.has(f.code))
      features.push({
        code: f.code,
        total: 0,
        series: rangeDays(range).map((d) => ({ date: dayToIso(d), total: 0, events: 0 })),
      });
  }
  return {
    ...timeline,
    features,
    period: live.period
      ? { start: new Date(live.period.start).toISOString(), end: new Date(live.period.end).toISOString() }
      : null,
    limits: live.features.map((f) => ({
      code: f.code,
      name: f.name,
      included: f.included,
      unlimited: f.unlimited,
      current: f.current,
    })),
  };
}
