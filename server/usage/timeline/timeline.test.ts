import { randomUUID } from "node:crypto";
import { text } from "node:stream/consumers";
import { stringify } from "csv-stringify/sync";
import { expect, it } from "vitest";
import { describeEachEngine } from "../../testing/db.ts";
import { daysBetween, isoToDay } from "./days.ts";
import { getIngestStatus, recordManualUsageEvent } from "./ingest.ts";
import {
  listUsageRows,
  parseExplorerFilters,
  streamUsageCsv,
  USAGE_CSV_COLUMNS,
  topCustomers,
  usageSeries,
  type ExplorerFilters,
} from "./explorer.ts";
import { assignMissingPlans, startPlanAssigner } from "./plans.ts";
import { compareRollups, rebuildRollups } from "./rollups.ts";
import { customerUsage } from "./customer.ts";
import { timelineDb } from "./schema.ts";
import { deliverUsage, usageEnvelope } from "../../testing/timeline.ts";
import { mulberry32 } from "../../prng.ts";

const D = (iso: string) => isoToDay(iso);

describeEachEngine("usage timeline", (ctx) => {
  const rollupOf = async (customerId: string) =>
    timelineDb(ctx.db)
      .selectFrom("usage_daily")
      .select(["day", "feature_code", "total", "events"])
      .where("customer_id", "=", customerId)
      .orderBy("day")
      .execute();

  it("ingests a signed usage.recorded once: same webhook id twice, same usageEventId under another webhook id", async () => {
    const data = {
      usageEventId: "evt_a",
      customerId: "usr_1",
      featureCode: "api_calls",
      value: 25,
      ts: "2026-11-20T09:12:00.000Z",
    };
    const body = usageEnvelope(data, "whev_1");
    expect((await deliverUsage(ctx.database, body)).body.result).toBe("received");
    expect((await deliverUsage(ctx.database, body)).body.result).toBe("duplicate");
    expect((await deliverUsage(ctx.database, usageEnvelope(data, "whev_2"))).status).toBe(200);
    const rows = await rollupOf("usr_1");
    expect(rows.map((r) => [Number(r.day), Number(r.total), Number(r.events)])).toEqual([[D("2026-11-20"), 25, 1]]);
    const status = await getIngestStatus(ctx.database);
    expect(status).toMatchObject({ events: 1, firstDay: "2026-11-20", lastDay: "2026-11-20", timezone: "UTC" });
  });

  it("rejects a bad signature and a malformed usage.recorded without storing anything", async () => {
    const body = usageEnvelope({
      usageEventId: "evt_bad",
      customerId: "usr_x",
      featureCode: "api_calls",
      value: 1,
      ts: "2026-11-20T00:00:00Z",
    });
    const { handleCommetWebhook } = await import("../../webhooks/index.ts");
    const { offlineCommet } = await import("../../testing/webhooks.ts");
    const { consoleIntake } = await import("../../testing/timeline.ts");
    const forged = await handleCommetWebhook(ctx.database, {
      rawBody: body,
      signature: "00".repeat(32),
      secret: "whsec_usage_timeline_test",
      commet: offlineCommet,
      intake: consoleIntake,
    });
    expect(forged.status).toBe(401);
    const malformed = await deliverUsage(ctx.database, body.replace('"value":1', '"value":"one"'));
    expect(malformed.status).toBe(400);
    expect(await rollupOf("usr_x")).toEqual([]);
  });

  it("manual entry and webhook of the same usageEventId count once, in either order, keeping both references", async () => {
    const ts = "2026-11-19T23:59:59.999Z";
    await recordManualUsageEvent(ctx.database, {
      usageEventId: "evt_m1",
      customerId: "usr_2",
      feature: "api_calls",
      quantity: 7,
      occurredAt: ts,
      staff: "ops@example.test",
      auditId: "aud_1",
    });
    await deliverUsage(
      ctx.database,
      usageEnvelope({ usageEventId: "evt_m1", customerId: "usr_2", featureCode: "api_calls", value: 7, ts }, "whev_m1"),
    );
    await deliverUsage(
      ctx.database,
      usageEnvelope({ usageEventId: "evt_m2", customerId: "usr_2", featureCode: "api_calls", value: 3, ts }, "whev_m2"),
    );
    const again = await recordManualUsageEvent(ctx.database, {
      usageEventId: "evt_m2",
      customerId: "usr_2",
      feature: "api_calls",
      quantity: 3,
      occurredAt: ts,
      staff: "admin@example.test",
      auditId: "aud_2",
    });
    expect(again.result).toBe("already_recorded");
    const rows = await rollupOf("usr_2");
    expect(rows.map((r) => [Number(r.day), Number(r.total), Number(r.events)])).toEqual([[D("2026-11-19"), 10, 2]]);
    const events = await timelineDb(ctx.db)
      .selectFrom("usage_events")
      .selectAll()
      .where("customer_id", "=", "usr_2")
      .orderBy("usage_event_id")
      .execute();
    expect(events.map((e) => [e.usage_event_id, e.source, e.webhook_event_id, e.manual_audit_id])).toEqual([
      ["evt_m1", "manual", "whev_m1", "aud_1"],
      ["evt_m2", "webhook", "whev_m2", "aud_2"],
    ]);
    const tab = await customerUsage(ctx.database, "usr_2", daysBetween(D("2026-11-19"), D("2026-11-20")));
    expect(tab.annotations.map((a) => [a.usageEventId, a.staff, a.date])).toEqual([
      ["evt_m1", "ops@example.test", "2026-11-19"],
      ["evt_m2", "admin@example.test", "2026-11-19"],
    ]);
    expect(tab.features[0]!.series).toEqual([
      { date: "2026-11-19", total: 10, events: 2 },
      { date: "2026-11-20", total: 0, events: 0 },
    ]);
  });

  it("a usage.set correction is a manual entry of kind 'set': its signed adjustment counts once, annotated with the total it set", async () => {
    const ts = "2026-11-18T10:00:00.000Z";
    await deliverUsage(
      ctx.database,
      usageEnvelope({ usageEventId: "evt_s0", customerId: "usr_3", featureCode: "api_calls", value: 10, ts }),
    );
    await recordManualUsageEvent(ctx.database, {
      usageEventId: "evt_set1",
      customerId: "usr_3",
      feature: "api_calls",
      kind: "set",
      quantity: -4,
      setTo: 6,
      occurredAt: "2026-11-18T11:00:00.000Z",
      staff: "ops@example.test",
      auditId: "aud_set1",
    });
    // Commet's usage.recorded of the same adjustment adds nothing more.
    await deliverUsage(
      ctx.database,
      usageEnvelope({
        usageEventId: "evt_set1",
        customerId: "usr_3",
        featureCode: "api_calls",
        value: -4,
        ts: "2026-11-18T11:00:00.000Z",
      }),
    );
    const rows = await rollupOf("usr_3");
    expect(rows.map((r) => [Number(r.day), Number(r.total), Number(r.events)])).toEqual([[D("2026-11-18"), 6, 2]]);
    const tab = await customerUsage(ctx.database, "usr_3", daysBetween(D("2026-11-18"), D("2026-11-18")));
    expect(tab.annotations.map((a) => [a.usageEventId, a.kind, a.quantity, a.setTo, a.staff])).toEqual([
      ["evt_set1", "set", -4, 6, "ops@example.test"],
    ]);
    expect(await compareRollups(ctx.database)).toEqual([]);
  });

  it("usage that arrived before the directory knew its subscription gets the plan afterwards; rollups follow", async () => {
    const ts = "2026-11-17T08:00:00.000Z";
    for (const [id, value] of [
      ["evt_late1", 4],
      ["evt_late2", 6],
    ] as const) {
      await deliverUsage(
        ctx.database,
        usageEnvelope({
          usageEventId: id,
          customerId: "usr_late",
          subscriptionId: "sub_late",
          featureCode: "api_calls",
          value,
          ts,
        }),
      );
    }
    const planOf = async () =>
      (
        await timelineDb(ctx.db)
          .selectFrom("usage_events")
          .select("plan_id")
          .where("customer_id", "=", "usr_late")
          .execute()
      ).map((r) => r.plan_id);
    expect(await planOf()).toEqual(["", ""]);
    expect(await assignMissingPlans(ctx.database)).toMatchObject({ events: 0 });

    const subscribed = JSON.stringify({
      id: "whev_sub_late",
      event: "subscription.created",
      timestamp: "2026-11-17T09:00:00.000Z",
      organizationId: "org_test",
      mode: "sandbox",
      apiVersion: "2026-07-31",
      data: {
        subscriptionId: "sub_late",
        customerId: "usr_late",
        status: "active",
        planId: "plan_late",
        planName: "Late",
      },
    });
    expect((await deliverUsage(ctx.database, subscribed)).status).toBe(200);
    expect(await assignMissingPlans(ctx.database)).toMatchObject({ events: 2 });
    expect(await planOf()).toEqual(["plan_late", "plan_late"]);
    expect(await compareRollups(ctx.database)).toEqual([]);
    const plans = await timelineDb(ctx.db)
      .selectFrom("usage_daily_plan")
      .select("plan_id")
      .where("day", "=", D("2026-11-17"))
      .execute();
    expect(plans.map((p) => p.plan_id)).toEqual(["plan_late"]);
    const series = await usageSeries(ctx.database, {
      range: daysBetween(D("2026-11-17"), D("2026-11-17")),
      plans: ["plan_late"],
    });
    expect(series.total).toBe(10);
    expect(await assignMissingPlans(ctx.database)).toMatchObject({ events: 0 });
  });

  it("the plan assigner gives waiting events their plan once the directory knows the subscription", async () => {
    await deliverUsage(
      ctx.database,
      usageEnvelope({
        usageEventId: "evt_wait1",
        customerId: "usr_wait",
        subscriptionId: "sub_wait",
        featureCode: "api_calls",
        value: 3,
        ts: "2026-11-16T08:00:00.000Z",
      }),
    );
    const lines: string[] = [];
    const stop = startPlanAssigner(ctx.database, { intervalMs: 20, log: (l) => lines.push(l) });
    try {
      const subscribed = JSON.stringify({
        id: "whev_sub_wait",
        event: "subscription.created",
        timestamp: "2026-11-16T09:00:00.000Z",
        organizationId: "org_test",
        mode: "sandbox",
        apiVersion: "2026-07-31",
        data: {
          subscriptionId: "sub_wait",
          customerId: "usr_wait",
          status: "active",
          planId: "plan_wait",
          planName: "Wait",
        },
      });
      await deliverUsage(ctx.database, subscribed);
      await expect
        .poll(
          async () =>
            (
              await timelineDb(ctx.db)
                .selectFrom("usage_events")
                .select("plan_id")
                .where("usage_event_id", "=", "evt_wait1")
                .executeTakeFirst()
            )?.plan_id,
          { timeout: 10_000 },
        )
        .toBe("plan_wait");
    } finally {
      await stop();
    }
    expect(lines.some((l) => l.startsWith("plan assigned to"))).toBe(true);
    expect(await compareRollups(ctx.database)).toEqual([]);
  });

  it("UTC day edges: 23:59:59.999Z and 00:00:00.000Z land on different days; offsets are converted to UTC", async () => {
    const c = "usr_edges";
    const at = [
      ["evt_e1", "2026-03-01T23:59:59.999Z"],
      ["evt_e2", "2026-03-02T00:00:00.000Z"],
      ["evt_e3", "2026-03-02T01:30:00+02:00"], // = 2026-03-01T23:30Z
    ] as const;
    for (const [id, ts] of at)
      await deliverUsage(
        ctx.database,
        usageEnvelope({ usageEventId: id, customerId: c, featureCode: "api_calls", value: 1, ts }),
      );
    const rows = await rollupOf(c);
    expect(rows.map((r) => [Number(r.day), Number(r.events)])).toEqual([
      [D("2026-03-01"), 2],
      [D("2026-03-02"), 1],
    ]);
    const oneDay = await customerUsage(ctx.database, c, daysBetween(D("2026-03-02"), D("2026-03-02")));
    expect(oneDay.features[0]!.total).toBe(1);
  });

  it("rollups equal a recomputation after random, out-of-order and duplicated deliveries; usage:rebuild reproduces them", async () => {
    const rnd = mulberry32(42);
    const start = Date.parse("2026-08-01T00:00:00Z");
    const bodies: string[] = [];
    for (let i = 0; i < 300; i++) {
      const data = {
        usageEventId: `evt_r${i}`,
        customerId: `usr_r${Math.floor(rnd() * 7)}`,
        subscriptionId: `sub_r${i % 3}`,
        featureCode: rnd() < 0.6 ? "api_calls" : "ai_tokens",
        value: Math.round(rnd() * 1000) / 4,
        ts: new Date(start + Math.floor(rnd() * 40 * 86_400_000)).toISOString(),
      };
      const body = usageEnvelope(data);
      bodies.push(body);
      if (rnd() < 0.2) bodies.push(body); // same delivery again
      if (rnd() < 0.1) bodies.push(usageEnvelope(data)); // same usage event, new webhook id
    }
    for (let i = bodies.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [bodies[i], bodies[j]] = [bodies[j]!, bodies[i]!];
    }
    const results = await Promise.all(bodies.map((b) => deliverUsage(ctx.database, b)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(await compareRollups(ctx.database)).toEqual([]);
    const before = await timelineDb(ctx.db)
      .selectFrom("usage_daily")
      .selectAll()
      .orderBy("day")
      .orderBy("customer_id")
      .orderBy("feature_code")
      .execute();
    const rebuilt = await rebuildRollups(ctx.database);
    expect(rebuilt.events).toBeGreaterThanOrEqual(300);
    const after = await timelineDb(ctx.db)
      .selectFrom("usage_daily")
      .selectAll()
      .orderBy("day")
      .orderBy("customer_id")
      .orderBy("feature_code")
      .execute();
    expect(after.length).toBe(before.length);
    after.forEach((row, i) => {
      expect({ ...row, total: undefined }).toEqual({ ...before[i], total: undefined });
      expect(Number(row.total)).toBeCloseTo(Number(before[i]!.total), 6);
    });
  });

  it("explorer: series sum equals the detail rows; filters; CSV streams exactly the table's rows", async () => {
    const range = daysBetween(D("2026-08-01"), D("2026-09-09"));
    const f: ExplorerFilters = { range, features: ["api_calls"] };
    const series = await usageSeries(ctx.database, f);
    expect(series.days).toHaveLength(40);
    expect(series.timezone).toBe("UTC");
    const all: Awaited<ReturnType<typeof listUsageRows>>["rows"] = [];
    let after: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof listUsageRows>> = await listUsageRows(ctx.database, f, {
        after,
        limit: 17,
      });
      all.push(...page.rows);
      after = page.nextCursor;
    } while (after);
    expect(all.length).toBeGreaterThan(17);
    expect(all.reduce((s, r) => s + r.total, 0)).toBeCloseTo(series.total, 6);
    expect(all.every((r) => r.featureCode === "api_calls")).toBe(true);
    // Customer filter goes through usage_daily and agrees with the plan rollup path.
    const one = await usageSeries(ctx.database, { ...f, customer: "usr_r1" });
    expect(one.total).toBeCloseTo(
      all.filter((r) => r.customerId === "usr_r1").reduce((s, r) => s + r.total, 0),
      6,
    );

    const csv = await text(streamUsageCsv(ctx.database, f, { pageSize: 5 }));
    const lines = csv.trimEnd().split("\n");
    // No directory entries and no catalog here: the id columns are filled, the name columns empty.
    const header = USAGE_CSV_COLUMNS.map((c) => c.header);
    expect(lines[0]).toBe(header.join(","));
    expect(lines).toHaveLength(all.length + 1);
    expect(csv).toBe(
      stringify(
        // No estimator: the currency and estimated_amount cells are empty.
        all.map((r) => [r.date, r.customerId, "", "", r.planId, "", r.featureCode, "", "", r.total, "", "", r.events]),
        { header: true, columns: header },
      ),
    );

    const top = await topCustomers(
      ctx.database,
      { range },
      { limit: 3, sort: "overage", included: { "": { api_calls: 100 } } },
    );
    expect(top.rows).toHaveLength(3);
    expect(top.rows[0]!.spark).toHaveLength(40);
    expect(top.rows[0]!.spark.reduce((s, v) => s + v, 0)).toBeCloseTo(top.rows[0]!.usage, 6);
    expect(top.rows[0]!.overage).toBeGreaterThanOrEqual(top.rows[1]!.overage);
  });

  it("status filter reads the directory's current status", async () => {
    const now = Date.now();
    await timelineDb(ctx.db)
      .insertInto("directory_customers" as never)
      .values({
        id: "cus_s1",
        external_id: "usr_s1",
        email: "s1@example.test",
        email_norm: "s1@example.test",
        name_search: "",
        subscription_status: "past_due",
        plan_id: "plan_pro",
        seats: "{}",
        seats_total: 0,
        created_at: now,
        updated_at: now,
        indexed_at: now,
      } as never)
      .execute();
    await deliverUsage(
      ctx.database,
      usageEnvelope({
        usageEventId: `evt_${randomUUID()}`,
        customerId: "usr_s1",
        featureCode: "api_calls",
        value: 5,
        ts: "2026-10-10T10:00:00Z",
      }),
    );
    await deliverUsage(
      ctx.database,
      usageEnvelope({
        usageEventId: `evt_${randomUUID()}`,
        customerId: "usr_other",
        featureCode: "api_calls",
        value: 9,
        ts: "2026-10-10T11:00:00Z",
      }),
    );
    const f = parseExplorerFilters(
      new URLSearchParams("range=custom&from=2026-10-10&to=2026-10-10&status=past_due"),
      now,
    );
    const s = await usageSeries(ctx.database, f);
    expect(s.total).toBe(5);
    // The plan was resolved from the directory at ingest, and the customer id as given (Commet id) finds the externalId's usage.
    const rows = await listUsageRows(ctx.database, { range: f.range, customer: "cus_s1" });
    expect(rows.rows.map((r) => [r.customerId, r.planId, r.total])).toEqual([["usr_s1", "plan_pro", 5]]);
  });

  it("range parsing: presets end today (UTC), custom is inclusive, impossible ranges are refused", () => {
    const now = Date.parse("2026-11-21T23:30:00-05:00"); // 2026-11-22T04:30Z
    const f = parseExplorerFilters(new URLSearchParams("range=7d"), now);
    expect([f.range.fromDay, f.range.toDay]).toEqual([D("2026-11-16"), D("2026-11-22")]);
    expect(
      parseExplorerFilters(new URLSearchParams("range=bogus"), now).range.toDay -
        parseExplorerFilters(new URLSearchParams("range=bogus"), now).range.fromDay,
    ).toBe(29);
    expect(() => parseExplorerFilters(new URLSearchParams("range=custom&from=2026-11-10&to=2026-11-01"), now)).toThrow(
      /ends before/,
    );
    expect(() => parseExplorerFilters(new URLSearchParams("range=custom&from=2026-11-10"), now)).toThrow(/from and to/);
    expect(() => parseExplorerFilters(new URLSearchParams("range=custom&from=2024-01-01&to=2026-01-01"), now)).toThrow(
      /at most/,
    );
    const leap = parseExplorerFilters(new URLSearchParams("range=custom&from=2028-02-28&to=2028-03-01"), now);
    expect(leap.range.toDay - leap.range.fromDay).toBe(2);
  });
});
