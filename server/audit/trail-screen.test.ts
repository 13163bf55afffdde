/** The trail screen on the process database (SQLite, temporary DATA_DIR): customers by Commet id, external id beside. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";

const dataDir = mkdtempSync(join(tmpdir(), "console-trail-screen-"));
delete process.env.DATABASE_URL;
process.env.DATA_DIR = dataDir;

const dbModule = await import("../db/index.ts");
const { tables } = await import("../directory/schema.ts");
const { upsertCustomers } = await import("../directory/store.ts");
const { recordAudit } = await import("./index.ts");
const { loadAuditTrail } = await import("./trail-screen.ts");

const admin = { id: "stf_admin", email: "admin@demo.local", role: "admin" as const };

beforeAll(async () => {
  const database = await dbModule.getReadyDb();
  const at = new Date().toISOString();
  await tables(database)
    .transaction()
    .execute((trx) =>
      upsertCustomers(
        trx,
        [
          {
            id: "cus_acme",
            externalId: "acme",
            email: "ops@acme.test",
            fullName: "Acme",
            createdAt: at,
            updatedAt: at,
          },
        ],
        Date.now(),
      ),
    );
});
afterAll(async () => {
  await dbModule.closeDb();
  rmSync(dataDir, { recursive: true, force: true });
});

it("one customer is one id in the trail, whichever id the write came through, with its external id beside it", async () => {
  for (const [customerId, key] of [
    ["acme", "k-external"],
    ["cus_acme", "k-commet"],
  ]) {
    const entry = await recordAudit(
      { actor: admin, role: "admin", action: "portal.issue", customerId, params: {}, idempotencyKey: key! },
      { status: "succeeded" },
    );
    expect(entry.customerId).toBe("cus_acme");
  }
  for (const customer of ["acme", "cus_acme"]) {
    const trail = await loadAuditTrail(admin, new URLSearchParams({ customer }));
    expect(trail.rows.map((r) => [r.customerId, r.customerExternalId])).toEqual([
      ["cus_acme", "acme"],
      ["cus_acme", "acme"],
    ]);
  }
});
