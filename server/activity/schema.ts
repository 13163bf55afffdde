/**
 * The activity domain's tables: Commet webhooks about a customer with their payload (migration 0006), and the
 * narrow view of the subscription lifecycle ones the revenue movements read (0015).
 */
import type { Kysely } from "kysely";
import type { SchemalessDb } from "../db/index.ts";

export interface AccountEventsTable {
  event_id: string;
  /** The webhook event type, e.g. "payment.failed". */
  type: string;
  /** One of ACTIVITY_KINDS except "staff" (app/contracts/activity.ts), fixed at intake. */
  kind: string;
  /** The canonical Commet customer id when the directory knew the customer at intake, else customer_key. */
  customer_id: string;
  /** The customer as the webhook named it (Commet sends the externalId when there is one). */
  customer_key: string;
  /** The envelope's timestamp (epoch ms). */
  occurred_at: number;
  received_at: number;
  /** JSON of the event's `data`, as Commet sent it. */
  payload: string;
}

/** Migration 0015: the fields of a subscription lifecycle event the revenue movements read (null = absent). */
export interface SubscriptionMovementsTable {
  event_id: string;
  type: string;
  occurred_at: number;
  subscription_id: string | null;
  /** `planId` (subscription.created). */
  plan_id: string | null;
  /** `previousPlan.id` / `currentPlan.id` / `billingInterval` (subscription.plan_changed). */
  previous_plan_id: string | null;
  current_plan_id: string | null;
  billing_interval: string | null;
}

export interface ActivityTables {
  account_events: AccountEventsTable;
  subscription_movements: SubscriptionMovementsTable;
}

export interface ActivityDatabase {
  db: SchemalessDb;
}

export function activityTables(database: ActivityDatabase): Kysely<ActivityTables> {
  return database.db as Kysely<ActivityTables>;
}
