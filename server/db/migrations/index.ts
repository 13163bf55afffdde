import type { Engine } from "../database.ts";
import * as m0001 from "./0001_initial.ts";
import * as m0002 from "./0002_directory.ts";
import * as m0003 from "./0003_usage_timeline.ts";
import * as m0004 from "./0004_usage_corrections.ts";
import * as m0005 from "./0005_webhook_events_retention.ts";
import * as m0006 from "./0006_account_events.ts";
import * as m0008 from "./0008_payment_failures.ts";
import * as m0010 from "./0010_write_resolver.ts";
import * as m0011 from "./0011_approvals.ts";
import * as m0012 from "./0012_bulk_batches.ts";
import * as m0013 from "./0013_leases.ts";
import * as m0014 from "./0014_usage_blocks.ts";
import * as m0015 from "./0015_subscription_movements.ts";
import type { SchemalessDb } from "../schema.ts";

interface MigrationModule {
  up(db: SchemalessDb, engine: Engine): Promise<void>;
  down?(db: SchemalessDb, engine: Engine): Promise<void>;
}

/**
 * Every migration, in order. Listed statically (no filesystem globbing) so a bundled server finds
 * them. Append-only: never edit a migration that has shipped; add the next one here.
 */
export const MIGRATIONS: Record<string, MigrationModule> = {
  "0001_initial": m0001,
  "0002_directory": m0002,
  "0003_usage_timeline": m0003,
  "0004_usage_corrections": m0004,
  "0005_webhook_events_retention": m0005,
  "0006_account_events": m0006,
  "0008_payment_failures": m0008,
  "0010_write_resolver": m0010,
  "0011_approvals": m0011,
  "0012_bulk_batches": m0012,
  "0013_leases": m0013,
  "0014_usage_blocks": m0014,
  "0015_subscription_movements": m0015,
};
