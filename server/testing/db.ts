/**
 * Suites on both engines (docs/decisions/0004-two-database-engines.md): `describeEachEngine(name, (ctx) => …)`
 * runs the body on a fresh, migrated scratch database per engine (per test with `fresh: "each"`).
 */
import type { Kysely } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe } from "vitest";
import type { Database, Engine } from "../db/database.ts";
import type { DB } from "../db/schema.ts";
import { createScratchDatabase, type ScratchDatabase } from "./scratch-db.ts";

export const ENGINES: readonly Engine[] = ["sqlite", "postgres"];

export interface EngineContext {
  readonly engine: Engine;
  /** The current test database (set before each test). */
  readonly database: Database;
  readonly db: Kysely<DB>;
}

export function describeEachEngine(
  name: string,
  body: (ctx: EngineContext) => void,
  options: { fresh?: "suite" | "each" } = {},
): void {
  describe.each(ENGINES)(`${name} [%s]`, (engine) => {
    let current: ScratchDatabase | undefined;
    const ctx: EngineContext = {
      engine,
      get database() {
        if (!current) throw new Error("test database not ready");
        return current;
      },
      get db() {
        return ctx.database.db;
      },
    };
    const open = async () => {
      current = await createScratchDatabase(engine);
    };
    const dispose = async () => {
      await current?.dispose();
      current = undefined;
    };
    if (options.fresh === "each") {
      beforeEach(open);
      afterEach(dispose);
    } else {
      beforeAll(open);
      afterAll(dispose);
    }
    body(ctx);
  });
}

/**
 * Closes a PostgreSQL suite's pool and lets its sockets finish before the scratch database is dropped,
 * so a dropped backend never surfaces as an unhandled 57P01. Register it inside the suite body: hooks
 * unwind as a stack, so it runs before describeEachEngine's own afterAll.
 */
export function closeDatabaseGracefully(ctx: EngineContext): void {
  afterAll(async () => {
    if (ctx.engine !== "postgres") return;
    await ctx.database.close();
    await new Promise((resolve) => setTimeout(resolve, 250));
  });
}
