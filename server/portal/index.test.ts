import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Commet } from "@commet/node";
import { CommetAPIError } from "@commet/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSandbox, type TestSandbox } from "../testing/sandbox.ts";
import { issuePortalLink, PORTAL_ACTION } from "./index.ts";

// Real audit trail in a throwaway SQLite database for this file.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-test-"));
process.env.DATA_DIR = dataDir;
delete process.env.DATABASE_URL;

let sandbox: TestSandbox;
let commet: Commet;
const actor = { id: "staff_support_1", email: "support@example.com" };

beforeAll(async () => {
  sandbox = await startTestSandbox({ seed: { customers: 10 } });
  commet = sandbox.client({ retries: 0 });
});
afterAll(async () => {
  await sandbox?.dispose();
  const { closeDb } = await import("../db/index.ts");
  await closeDb();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("issuePortalLink", () => {
  it("returns a working single-use portal URL and audits who, for whom and when — without the URL", async () => {
    const before = Date.now();
    const link = await issuePortalLink({ actor, role: "support", customerId: "usr_000001" }, { commet });
    expect(link.portalUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/portal\//);
    expect(link.customerId).toBe("usr_000001");

    const first = await fetch(link.portalUrl);
    expect(first.status).toBe(200);
    expect(await first.text()).toContain("Billing portal");
    const again = await fetch(link.portalUrl);
    expect(again.status).toBe(410);

    const { listAudit } = await import("../audit/index.ts");
    const { rows } = await listAudit({ action: PORTAL_ACTION, customerId: "usr_000001" }, { pageSize: 10, page: 1 });
    expect(rows).toHaveLength(1);
    const entry = rows[0]!;
    expect(entry).toMatchObject({ actor, role: "support", status: "succeeded", customerId: "usr_000001" });
    expect(entry.createdAt).toBeGreaterThanOrEqual(before);
    const stored = JSON.stringify(entry);
    expect(stored).not.toContain(link.portalUrl);
    expect(stored).not.toContain(new URL(link.portalUrl).pathname.split("/").at(-1));
  });

  it("each call issues a new link (fresh idempotency key)", async () => {
    const a = await issuePortalLink({ actor, role: "ops", customerId: "usr_000002" }, { commet });
    const b = await issuePortalLink({ actor, role: "ops", customerId: "usr_000002" }, { commet });
    expect(a.portalUrl).not.toBe(b.portalUrl);
  });

  it("an unknown customer: Commet's 404 is rethrown and the audit row is final as failed", async () => {
    await expect(
      issuePortalLink({ actor, role: "support", customerId: "usr_nobody" }, { commet }),
    ).rejects.toBeInstanceOf(CommetAPIError);
    const { listAudit } = await import("../audit/index.ts");
    const { rows } = await listAudit({ action: PORTAL_ACTION, customerId: "usr_nobody" }, { pageSize: 10, page: 1 });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe("failed");
  });

  it("refuses a blank customer id before calling Commet", async () => {
    await expect(issuePortalLink({ actor, role: "support", customerId: "  " }, { commet })).rejects.toThrow();
  });
});
