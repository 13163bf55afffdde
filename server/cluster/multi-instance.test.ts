/**
 * Two console instances (production build, `server/main.ts` as `npm start` runs it; built first when missing) on
 * different ports, one PostgreSQL database, one Commet sandbox: A with two workers, B a single process. Sessions,
 * sign-in limits and webhook deduplication are shared; exactly one process runs the background work, and another
 * takes it over when the holder is killed (SIGKILL: within the lease's TTL) or stopped (SIGTERM: at once).
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnConsole, type ConsoleProcess } from "../console-process.ts";
import { ensureProductionBuild } from "../testing/production-build.ts";
import { startTestSandbox, waitFor, type TestSandbox } from "../testing/sandbox.ts";
import { createScratchDatabase, type ScratchDatabase } from "../testing/scratch-db.ts";
import { customerData, sign, webhookEnvelope } from "../testing/webhooks.ts";
import { leaseHolder } from "./leases.ts";

const ADMIN = { email: "admin@cluster.example", password: "cluster-admin-password" };
const WEBHOOK_SECRET = "whsec_cluster_test_secret";
const BACKGROUND_LEASE = "background-work"; // server/console.ts

describe("two console instances on one PostgreSQL", () => {
  let database: ScratchDatabase;
  let sandbox: TestSandbox;
  let tmp: string;
  let a: ConsoleProcess;
  let b: ConsoleProcess;

  beforeAll(async () => {
    ensureProductionBuild();
    database = await createScratchDatabase("postgres");
    sandbox = await startTestSandbox();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "console-cluster-"));
    const common = {
      DATABASE_URL: database.url,
      COMMET_API_KEY: sandbox.apiKey,
      COMMET_API_URL: sandbox.url,
      COMMET_WEBHOOK_SECRET: WEBHOOK_SECRET,
      SESSION_SECRET: randomBytes(32).toString("base64url"),
      CONSOLE_ADMIN_EMAIL: ADMIN.email,
      CONSOLE_ADMIN_PASSWORD: ADMIN.password,
      METRICS_PORT: "0",
    };
    // A first: it creates the first-run admin and takes the background lease before B exists.
    a = await spawnConsole({ ...common, DATA_DIR: path.join(tmp, "a"), CONSOLE_WORKERS: "2" });
    b = await spawnConsole({ ...common, DATA_DIR: path.join(tmp, "b"), CONSOLE_WORKERS: "1" });
  }, 240_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await sandbox?.dispose();
    await database?.dispose();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const postLogin = (base: string, email: string, password: string) =>
    fetch(`${base}/login`, {
      method: "POST",
      redirect: "manual",
      headers: { origin: base, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email, password, redirectTo: "/customers" }),
    });
  const metricsOf = async (instance: ConsoleProcess) => {
    const url = instance.output.map((line) => /metrics at (http:\/\/[^\s"]+)/.exec(line)?.[1]).find(Boolean)!;
    return (await fetch(url)).text();
  };
  const gauge = (metrics: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(metrics)?.[1]);
  /** Which instance a lease holder (`host/pid/random`) belongs to: B itself, or a worker forked by A. */
  const instanceOf = (holder: string | null): "A" | "B" | null => {
    const pid = Number(holder?.split("/")[1]);
    if (pid === b.child.pid) return "B";
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return ppid === a.child.pid ? "A" : null;
  };

  it("answers /healthz and /readyz on both (database and Commet reachable)", async () => {
    for (const instance of [a, b]) {
      expect((await fetch(`${instance.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${instance.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ready: true, database: "ok", commet: "ok" });
    }
  });

  it("accepts a session signed in on A at B", async () => {
    const signedIn = await postLogin(a.url, ADMIN.email, ADMIN.password);
    expect(signedIn.status).toBe(302);
    const cookie = signedIn.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const onB = await fetch(`${b.url}/customers`, { headers: { cookie }, redirect: "manual" });
    expect(onB.status).toBe(200);
    const anonymous = await fetch(`${b.url}/customers`, { redirect: "manual" });
    expect(anonymous.status).toBe(302);
  });

  it("counts sign-in failures on A towards the limit on B", async () => {
    const email = "guesser-target@cluster.example";
    for (let i = 0; i < 5; i++) expect((await postLogin(a.url, email, `wrong-password-${i}`)).status).toBe(401);
    expect((await postLogin(b.url, email, "wrong-password-5")).status).toBe(429);
  });

  it("applies a webhook delivered to A and to B once", async () => {
    const body = JSON.stringify(webhookEnvelope("customer.created", customerData("cus_cluster_once")));
    const deliver = (instance: ConsoleProcess) =>
      fetch(`${instance.url}/webhooks/commet`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-commet-signature": sign(body, WEBHOOK_SECRET) },
        body,
      }).then(async (res) => ({ status: res.status, result: ((await res.json()) as { result: string }).result }));
    const answers = await Promise.all([deliver(a), deliver(b)]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(answers.map((answer) => answer.result).sort()).toEqual(["duplicate", "received"]);
    const events = await database.db
      .selectFrom("webhook_events" as never)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(events.n)).toBe(1);
  });

  it("runs the background work in exactly one process, and hands it over on SIGKILL and on SIGTERM", async () => {
    const first = await leaseHolder(database, BACKGROUND_LEASE);
    expect(instanceOf(first)).toBe("A");
    const [metricsA, metricsB] = await Promise.all([metricsOf(a), metricsOf(b)]);
    expect(gauge(metricsA, "console_serving_processes")).toBe(2); // the primary sums its two workers
    expect(gauge(metricsB, "console_serving_processes")).toBe(1);
    expect(gauge(metricsA, "console_background_lease_held")).toBe(1);
    expect(gauge(metricsB, "console_background_lease_held")).toBe(0);

    // SIGKILL: nothing is released; another process takes over once the lease expires (TTL 10 s), and A's
    // primary replaces its dead worker meanwhile.
    const replaced = () => a.output.filter((line) => /worker \d+ serving/.test(line)).length;
    expect(replaced()).toBe(0);
    process.kill(Number(first!.split("/")[1]), "SIGKILL");
    const replacement = waitFor(() => replaced() === 1, { timeoutMs: 40_000, intervalMs: 200, what: "a new worker" });
    const second = await waitFor(
      async () => {
        const holder = await leaseHolder(database, BACKGROUND_LEASE);
        return holder && holder !== first ? holder : null;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: "a new holder after SIGKILL" },
    );
    const secondInstance = instanceOf(second);
    expect(secondInstance).not.toBeNull();
    await replacement;
    expect(gauge(await metricsOf(a), "console_serving_processes")).toBe(2);

    // SIGTERM of the instance that holds it now: its lease is released at once and the other instance takes over.
    const [holding, other] = secondInstance === "A" ? [a, b] : [b, a];
    await holding.stop();
    const third = await waitFor(
      async () => {
        const holder = await leaseHolder(database, BACKGROUND_LEASE);
        return holder && holder !== second ? holder : null;
      },
      { timeoutMs: 5_000, intervalMs: 100, what: "a new holder after SIGTERM" },
    );
    expect(instanceOf(third)).toBe(other === a ? "A" : "B");
    expect(holding.output.some((line) => line.includes(`lease ${BACKGROUND_LEASE} released by ${second}`))).toBe(true);
  });
});
