import { sql } from "kysely";
import { beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../testing/db.ts";
import {
  AuditFinalizeError,
  DuplicateAuditKeyError,
  createAuditLog,
  type AuditEntry,
  type AuditLog,
  type BeginAuditInput,
} from "./audit-log.ts";
import { AUDIT_CSV_COLUMNS, entriesToCsv } from "./csv.ts";
import { isSecurityAction } from "./filters.ts";
import { REDACTED } from "./redact.ts";
import { configureLogging } from "../observability/index.ts";

const ops = { id: "staff-ops", email: "ops@demo.local" };
const fin = { id: "staff-fin", email: "Finance@Demo.local" };

function input(over: Partial<BeginAuditInput> = {}): BeginAuditInput {
  return {
    actor: ops,
    role: "ops",
    action: "seats.update",
    customerId: "cus_1",
    params: { seats: 5 },
    idempotencyKey: crypto.randomUUID(),
    ...over,
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let out = "";
  for await (const chunk of stream) out += String(chunk);
  return out;
}

describeEachEngine("audit trail: write-ahead lifecycle", (ctx) => {
  let now = 1_700_000_000_000;
  let log: AuditLog;
  beforeAll(() => {
    log = createAuditLog(ctx.db, { clock: () => now });
  });

  it("writes a pending row with redacted parameters before the side effect", async () => {
    const key = crypto.randomUUID();
    const id = await log.begin(
      input({
        idempotencyKey: key,
        action: "portal.issue",
        params: { customerId: "cus_1", portalUrl: "https://x/y?token=z", note: "ck_live_abcdef" },
      }),
    );
    const row = await log.get(id);
    expect(row).toMatchObject({
      status: "pending",
      finalizedAt: null,
      actor: ops,
      role: "ops",
      action: "portal.issue",
      customerId: "cus_1",
      idempotencyKey: key,
      createdAt: now,
      params: { customerId: "cus_1", portalUrl: REDACTED, note: REDACTED },
    });
    const raw = await ctx.db.selectFrom("audit_log").select("params").where("id", "=", id).executeTakeFirstOrThrow();
    expect(raw.params).not.toMatch(/token=z|ck_live/);
  });

  it("finalizes a pending row once, as succeeded with Commet's ids, and refuses a second finalize", async () => {
    const id = await log.begin(input());
    now += 1500;
    const done = await log.finalize(id, {
      status: "succeeded",
      commetIds: { subscriptionId: "sub_1" },
      requestId: "req_1",
    });
    expect(done).toMatchObject({
      status: "succeeded",
      finalizedAt: now,
      commetIds: { subscriptionId: "sub_1" },
      requestId: "req_1",
    });
    const again = await log.finalize(id, { status: "failed", errorCode: "x" }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(AuditFinalizeError);
    expect((again as AuditFinalizeError).reason).toBe("already_final");
    expect((await log.get(id))?.status).toBe("succeeded");
    const missing = await log.finalize("nope", { status: "succeeded" }).catch((e: unknown) => e);
    expect((missing as AuditFinalizeError).reason).toBe("not_found");
  });

  it("records a failure with the error code and a redacted message", async () => {
    const id = await log.begin(input());
    const row = await log.finalize(id, {
      status: "failed",
      errorCode: "validation_error",
      message: "bad key ck_live_zzzzzz at https://commet.co/x?token=1",
      requestId: "req_2",
    });
    expect(row).toMatchObject({ status: "failed", errorCode: "validation_error", requestId: "req_2", commetIds: null });
    expect(row.errorMessage).toBe(`bad key ${REDACTED} at ${REDACTED}`);
  });

  it("allows one row per (idempotency key, action): a second begin reports the existing row", async () => {
    const key = crypto.randomUUID();
    const first = await log.begin(input({ idempotencyKey: key }));
    const dup = await log.begin(input({ idempotencyKey: key })).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(DuplicateAuditKeyError);
    expect((dup as DuplicateAuditKeyError).existing.id).toBe(first);
    // the same key under another action is a different write
    await expect(log.begin(input({ idempotencyKey: key, action: "usage.record" }))).resolves.toBeTypeOf("string");
    expect((await log.findByIdempotencyKey(key, "seats.update"))?.id).toBe(first);
    expect(await log.findByIdempotencyKey("unknown-key")).toBeNull();
  });

  it("a crash between begin and finalize leaves the row pending; a retry with the same key finalizes it", async () => {
    const key = crypto.randomUUID();
    await log.begin(input({ idempotencyKey: key })); // …process dies here
    const pending = await log.findByIdempotencyKey(key, "seats.update");
    expect(pending?.status).toBe("pending");
    const done = await log.finalize(pending!.id, { status: "succeeded", commetIds: { subscriptionId: "sub_2" } });
    expect(done.status).toBe("succeeded");
  });

  it("run() wraps a call: success and failure are finalized, errors rethrown", async () => {
    const ok = await log.run(input(), async () => ({ id: "sub_9", requestId: "req_9" }), {
      success: (r) => ({ commetIds: { subscriptionId: r.id }, requestId: r.requestId }),
    });
    expect(ok.id).toBe("sub_9");
    const boom = Object.assign(new Error("Commet said no"), { code: "rate_limited" });
    const key = crypto.randomUUID();
    await expect(log.run(input({ idempotencyKey: key }), async () => Promise.reject(boom))).rejects.toBe(boom);
    expect(await log.findByIdempotencyKey(key)).toMatchObject({
      status: "failed",
      errorCode: "rate_limited",
      errorMessage: "Commet said no",
    });
  });

  it("run() never masks the call's outcome when the finalize write fails: the row stays pending", async () => {
    let auditId = "";
    const key = crypto.randomUUID();
    const errors: Array<Record<string, unknown>> = [];
    configureLogging({
      level: "error",
      pretty: false,
      destination: { write: (line) => void errors.push(JSON.parse(line)) },
    });
    try {
      // the callback finalizes the row itself, so run()'s own finalize is refused
      const result = await log.run(input({ idempotencyKey: key }), async (id) => {
        auditId = id;
        await log.finalize(id, { status: "succeeded", commetIds: { subscriptionId: "sub_x" } });
        return "applied";
      });
      expect(result).toBe("applied");
      const boom = new Error("network down");
      await expect(
        log.run(input(), async (id) => {
          await log.finalize(id, { status: "failed", errorCode: "first" });
          throw boom;
        }),
      ).rejects.toBe(boom);
    } finally {
      configureLogging({ level: "warn", pretty: false });
    }
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ component: "audit", msg: "entry left pending, finalize failed" });
    expect((await log.get(auditId))?.commetIds).toEqual({ subscriptionId: "sub_x" });
  });

  it("rejects malformed input", async () => {
    await expect(log.begin(input({ action: "Not An Action" }))).rejects.toThrow(/action/);
    await expect(log.begin(input({ idempotencyKey: "" }))).rejects.toThrow(/idempotency/);
  });

  it("the database itself refuses to rewrite or delete history", async () => {
    const id = await log.begin(input());
    // a pending row may not have its facts changed
    await expect(ctx.db.updateTable("audit_log").set({ params: "{}" }).where("id", "=", id).execute()).rejects.toThrow(
      /append-only/,
    );
    await log.finalize(id, { status: "succeeded" });
    await expect(
      ctx.db.updateTable("audit_log").set({ status: "failed", error_code: "x" }).where("id", "=", id).execute(),
    ).rejects.toThrow(/append-only/);
    await expect(ctx.db.deleteFrom("audit_log").where("id", "=", id).execute()).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log`.execute(ctx.db)).rejects.toThrow(/append-only/);
    expect((await log.get(id))?.status).toBe("succeeded");
  });
});

describeEachEngine("audit trail: filters, paging and CSV", (ctx) => {
  const t0 = Date.UTC(2026, 10, 1, 12);
  const hour = 3_600_000;
  let log: AuditLog;
  let all: AuditEntry[];

  beforeAll(async () => {
    let now = t0;
    log = createAuditLog(ctx.db, { clock: () => now });
    // 30 rows over 30 hours; several share a timestamp to exercise the (created_at, id) tie-break
    for (let i = 0; i < 30; i++) {
      now = t0 + Math.floor(i / 2) * hour;
      const byFinance = i % 3 === 0;
      const id = await log.begin(
        input({
          actor: byFinance ? fin : ops,
          role: byFinance ? "finance" : "ops",
          action: i % 5 === 0 ? "staff.change_role" : i % 2 ? "seats.update" : "usage.record",
          customerId: i % 5 === 0 ? null : `cus_${i % 4}`,
          params: { i },
        }),
      );
      if (i % 4 === 1) await log.finalize(id, { status: "failed", errorCode: "not_found", message: '=HYPERLINK("x")' });
      else if (i % 4 !== 3) await log.finalize(id, { status: "succeeded" });
    }
    all = (await log.list({}, { pageSize: 200, page: 1 })).rows;
  });

  it("lists newest first with a total", async () => {
    expect(all).toHaveLength(30);
    const keys = all.map((e) => [e.createdAt, e.id] as const);
    const sorted = [...keys].sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0));
    expect(keys).toEqual(sorted);
  });

  it("filters by actor (id or part of the email, any case), action, prefix, customer, status and dates", async () => {
    const count = async (f: Parameters<AuditLog["list"]>[0]) => (await log.list(f, { pageSize: 200, page: 1 })).total;
    expect(await count({ actor: "finance@demo" })).toBe(10);
    expect(await count({ actor: "FINANCE" })).toBe(10);
    expect(await count({ actor: "staff-ops" })).toBe(20);
    expect(await count({ actor: "%" })).toBe(0); // LIKE wildcards are literal
    expect(await count({ action: "staff.change_role" })).toBe(6);
    expect(await count({ action: "staff." })).toBe(6);
    expect(await count({ action: "seats.update" })).toBe(all.filter((e) => e.action === "seats.update").length);
    expect(await count({ customerId: "cus_1" })).toBe(all.filter((e) => e.customerId === "cus_1").length);
    expect(await count({ status: "pending" })).toBe(all.filter((e) => e.status === "pending").length);
    expect(await count({ status: "pending" })).toBeGreaterThan(0);
    expect(await count({ from: t0 + 2 * hour, to: t0 + 5 * hour })).toBe(6); // hours 2,3,4 × 2 rows
    const combined = await log.list({ actor: "ops@", status: "failed", from: t0 }, { pageSize: 200, page: 1 });
    expect(combined.rows.every((e) => e.actor.email === "ops@demo.local" && e.status === "failed")).toBe(true);
    expect(combined.total).toBe(all.filter((e) => e.actor.email === "ops@demo.local" && e.status === "failed").length);
  });

  it("leaves out security events for readers who may not see them (list and CSV)", async () => {
    const visible = await log.list({ excludeSecurity: true }, { pageSize: 200, page: 1 });
    expect(visible.total).toBe(24); // the 6 staff.change_role rows are security events
    expect(visible.rows.some((e) => isSecurityAction(e.action))).toBe(false);
    expect((await log.list({ excludeSecurity: true, action: "staff." }, { pageSize: 200, page: 1 })).total).toBe(0);
    let csv = "";
    for await (const chunk of entriesToCsv(log.iterate({ excludeSecurity: true }))) csv += String(chunk);
    expect(csv).not.toContain("staff.change_role");
    expect(isSecurityAction("sign_in.failed")).toBe(true);
    expect(isSecurityAction("sign_out")).toBe(true);
    expect(isSecurityAction("audit.export")).toBe(true);
    expect(isSecurityAction("seats.change")).toBe(false);
    expect(isSecurityAction("sign_outage")).toBe(false);
  });

  it("offset paging and keyset paging both walk the same ordered rows", async () => {
    const byOffset: AuditEntry[] = [];
    for (let page = 1; page <= 4; page++) {
      const p = await log.list({}, { pageSize: 8, page });
      expect(p.total).toBe(30);
      byOffset.push(...p.rows);
    }
    expect(byOffset.map((e) => e.id)).toEqual(all.map((e) => e.id));

    const byCursor: AuditEntry[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const p: Awaited<ReturnType<AuditLog["list"]>> = await log.list({}, { pageSize: 7, cursor });
      byCursor.push(...p.rows);
      cursor = p.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(byCursor.map((e) => e.id)).toEqual(all.map((e) => e.id));

    const filtered = await log.list({ status: "succeeded" }, { pageSize: 3, cursor: null });
    const next = await log.list({ status: "succeeded" }, { pageSize: 3, cursor: filtered.nextCursor });
    expect([...filtered.rows, ...next.rows].every((e) => e.status === "succeeded")).toBe(true);
    expect(next.rows[0]!.createdAt).toBeLessThanOrEqual(filtered.rows[2]!.createdAt);
  });

  it("rows(): several customers in one read, the same order and keyset as list, no count", async () => {
    const mine = all.filter((e) => e.customerId === "cus_1" || e.customerId === "cus_3");
    const first = await log.rows({ customerId: ["cus_1", "cus_3"] }, { pageSize: 4, cursor: null });
    expect(first).not.toHaveProperty("total");
    expect(first.rows.map((e) => e.id)).toEqual(mine.slice(0, 4).map((e) => e.id));
    const next = await log.rows({ customerId: ["cus_1", "cus_3"] }, { pageSize: 200, cursor: first.nextCursor });
    expect(next.rows.map((e) => e.id)).toEqual(mine.slice(4).map((e) => e.id));
    expect(next.nextCursor).toBeNull();
    expect((await log.rows({ customerId: [] }, { pageSize: 10, page: 1 })).rows).toEqual([]);
  });
  it("streams the filtered rows as CSV in small batches, formula-safe", async () => {
    const csv = await readAll(entriesToCsv(log.iterate({ actor: "ops@demo.local" }, 3)));
    const lines = csv.trimEnd().split("\n");
    expect(lines[0]).toBe(AUDIT_CSV_COLUMNS.join(","));
    expect(lines).toHaveLength(1 + 20);
    expect(csv).not.toMatch(/,"?=HYPERLINK/);
    expect(csv).toMatch(/,"'=HYPERLINK/);
    expect(lines[1]).toContain(new Date(all.find((e) => e.actor.email === "ops@demo.local")!.createdAt).toISOString());
    const everything = await readAll(entriesToCsv(log.iterate({}, 7)));
    expect(everything.trimEnd().split("\n")).toHaveLength(31);
  });
});
