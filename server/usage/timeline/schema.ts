/**
 * Tables of the usage timeline (migration server/db/migrations/0003_usage_timeline.ts). Private to
 * server/usage/timeline: other modules use the functions exported from ./index.ts.
 * Conventions follow server/db/schema.ts (epoch ms timestamps, JSON text); `day` is a UTC epoch day.
 */
import type { Kysely } from "kysely";
import type { Database } from "../../db/index.ts";
import type { SchemalessDb } from "../../db/index.ts";

export interface UsageEventsTable {
  usage_event_id: string;
  /** Commet webhook event id (whev_…) once the usage.recorded delivery arrived. */
  webhook_event_id: string | null;
  /** Customer reference as Commet's webhooks carry it: the externalId when set, else the Commet id. */
  customer_id: string;
  subscription_id: string | null;
  feature_code: string;
  quantity: number;
  occurred_at: number;
  day: number;
  /** Plan (Commet plan id) of the subscription at ingest; '' when unknown. */
  plan_id: string;
  /** Who told us first: "webhook" | "manual". */
  source: string;
  manual_staff: string | null;
  manual_audit_id: string | null;
  /** Manual entries: "track" (a quantity added) or "set" (a correction: quantity is its signed adjustment). */
  manual_kind: string | null;
  /** For "set": the exact period total the correction set. */
  manual_set_value: number | null;
  received_at: number;
}

export interface UsageDailyTable {
  day: number;
  customer_id: string;
  feature_code: string;
  /** Greatest plan id among the day's events ('' only when none was known). */
  plan_id: string;
  total: number;
  events: number;
}

export interface UsageDailyPlanTable {
  day: number;
  plan_id: string;
  feature_code: string;
  total: number;
  events: number;
}

/** Usage per customer × feature × 32-day block (migration 0014): bounds for the top-customers ranking. */
export interface UsageBlocksTable {
  /** floor(day / BLOCK_DAYS). */
  block: number;
  customer_id: string;
  feature_code: string;
  total: number;
  /** Σ of the block's negative quantities (≤ 0): any subset of its days sums to within [neg, total − neg]. */
  neg: number;
  events: number;
}

/** Days per usage_blocks row. */
export const BLOCK_DAYS = 32;

export interface UsageReconciliationTable {
  customer_id: string;
  checked_at: number;
  period_start: number | null;
  period_end: number | null;
  /** Set (to checked_at) when the last check found a difference; null when in step. */
  drifted_at: number | null;
  max_abs_diff: number;
  /** JSON array of FeatureDrift. */
  details: string;
}

/** Tables only this module reads or writes directly; directory tables are read for plan / status lookups. */
export interface TimelineDB {
  usage_events: UsageEventsTable;
  usage_daily: UsageDailyTable;
  usage_daily_plan: UsageDailyPlanTable;
  usage_blocks: UsageBlocksTable;
  usage_reconciliation: UsageReconciliationTable;
  directory_customers: {
    id: string;
    external_id: string | null;
    subscription_status: string | null;
    plan_id: string | null;
  };
  directory_subscriptions: { id: string; plan_id: string | null };
}

export type TimelineDb = Kysely<TimelineDB>;
export type TimelineDatabase = Pick<Database, "db" | "dialect">;

/** The console database seen with this module's tables (same connection / transaction). */
export function timelineDb(db: SchemalessDb): TimelineDb {
  return db as TimelineDb;
}
