/**
 * Test-only helper for the directory's two-engine suites.
 *
 * server/db/test-support's dispose() closes the pool and then DROPs the database WITH (FORCE).
 * pg-pool's end() resolves before its idle clients have finished disconnecting, so FORCE can kill
 * one of them and its 57P01 error surfaces as an unhandled error that fails the vitest run
 * (reported to the db owner in /tmp/team/notes-db.md). Closing the pool ourselves first and letting
 * the sockets finish avoids it; the later close() in dispose() is a no-op.
 */
import { afterAll } from "vitest";
import type { EngineContext } from "../db/test-support.ts";

export function closeDatabaseGracefully(ctx: EngineContext): void {
  // Registered inside the suite body, so it runs before test-support's own afterAll (hooks unwind as a stack).
  afterAll(async () => {
    if (ctx.engine !== "postgres") return;
    await ctx.database.close();
    await new Promise((resolve) => setTimeout(resolve, 250));
  });
}
