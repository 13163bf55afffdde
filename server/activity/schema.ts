/** The activity domain's table (migration 0006_account_events.ts): Commet webhooks about a customer, with their payload. */
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

export interface ActivityTables {
  account_events: AccountEventsTable;
}

export interface ActivityDatabase {
  db: SchemalessDb;
}

export function activityTables(database: ActivityDatabase): Kysely<ActivityTables> {
  return database.db as Kysely<ActivityTables>;
}
