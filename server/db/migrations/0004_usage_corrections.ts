import type { Kysely } from "kysely";
import type { Engine } from "../database.ts";

/**
 * Manual usage entries say what they were: `manual_kind` 'track' (usage.track: a quantity added) or
 * 'set' (usage.set: a correction to an exact period total, stored as its signed adjustment, with the
 * total it set in `manual_set_value`). Null on webhook-only rows; older manual rows read as 'track'.
 */
export async function up(db: Kysely<any>, _engine: Engine): Promise<void> {
  await db.schema.alterTable("usage_events").addColumn("manual_kind", "text").execute();
  await db.schema.alterTable("usage_events").addColumn("manual_set_value", "double precision").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("usage_events").dropColumn("manual_set_value").execute();
  await db.schema.alterTable("usage_events").dropColumn("manual_kind").execute();
}
