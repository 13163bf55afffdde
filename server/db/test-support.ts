/**
 * Test helper: run a suite on both engines against a fresh, migrated database.
 *
 *   describeEachEngine("audit", (ctx) => {
 *     it("…", async () => { await ctx.db.selectFrom("audit_log")… });
 *   });
 *
 * SQLite: a new file in a temporary directory. PostgreSQL: a uniquely named database created on
 * TEST_DATABASE_URL (server-level URL; default postgres://postgres@127.0.0.1:5432/postgres) and
 * dropped afterwards. `fresh: "each"` gives every test its own database (slower; for tests that need
 * empty tables), the default shares one database per suite and engine.
 */
import type { Kysely } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe } from "vitest";
import type { Database, Engine } from "./database.ts";
import type { DB } from "./schema.ts";
import { createScratchDatabase, type ScratchDatabase } from "./scratch.ts";

export { createScratchDatabase as createTestDatabase, testServerUrl } from "./scratch.ts";
export type { ScratchDatabase as TestDatabase } from "./scratch.ts";

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
