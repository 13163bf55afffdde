/**
 * The local Commet sandbox for tests and benches, driven by the real `@commet/node` (routed by
 * ./sdk-wire.ts): `startTestSandbox()` / `useContractSandbox()` start one per test file with its seeded catalog.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Commet, CommetAPIError, CommetValidationError, type CommetClientOptions } from "@commet/node";
import { z } from "zod";
import {
  Customer,
  envelope,
  expectShape,
  Feature,
  Plan,
  SandboxHealth,
  Subscription,
  type CustomerT,
  type PlanT,
  type SubscriptionT,
} from "./contract-schemas.ts";
import type { FaultRule } from "../sandbox/faults.ts";
import { startSandbox } from "../sandbox/server.ts";
import { headerValue, routeSdk } from "./sdk-wire.ts";

export type SandboxOptions = Parameters<typeof startSandbox>[0];
export type RunningSandbox = Awaited<ReturnType<typeof startSandbox>>;

export interface TestSandbox {
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  readonly dataDir: string;
  /** A real SDK client for this sandbox. Defaults: key of this sandbox, telemetry off. */
  client(options?: Partial<CommetClientOptions>): Commet;
  /** Call an admin endpoint (`/__sandbox/...`) with the sandbox key. */
  admin(method: "GET" | "PUT" | "POST" | "DELETE", pathname: string, body?: unknown): Promise<AdminResponse>;
  /** GET /__sandbox/health (no key). */
  health(): Promise<z.infer<typeof SandboxHealth>>;
  /** Stop the server and start it again on the same data dir (no reset); re-routes the SDK. */
  restart(): Promise<void>;
  /** Stop the server and delete the data dir. */
  dispose(): Promise<void>;
}

export interface AdminResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

export function randomSuffix(bytes = 6): string {
  return randomBytes(bytes).toString("hex");
}

/**
 * Start a sandbox on 127.0.0.1 with a free port and a fresh temp data dir, and route
 * the SDK to it. Call `dispose()` in `afterAll`.
 */
export async function startTestSandbox(
  options: Omit<Partial<SandboxOptions>, "port" | "host" | "dataDir"> = {},
): Promise<TestSandbox> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "commet-sandbox-test-"));
  const apiKey = options.apiKey ?? `ck_sandbox_contract_${randomSuffix()}`;
  const base: SandboxOptions = { quiet: true, ...options, apiKey, port: 0, host: "127.0.0.1", dataDir, reset: true };
  let running: RunningSandbox = await startSandbox(base);
  routeSdk(running.url);

  const sandbox: TestSandbox = {
    get url() {
      return running.url;
    },
    get port() {
      return running.port;
    },
    apiKey,
    dataDir,
    client(clientOptions = {}) {
      return new Commet({ apiKey, telemetry: false, ...clientOptions });
    },
    async admin(method, pathname, body) {
      const res = await fetch(new URL(pathname, running.url), {
        method,
        headers: { "x-api-key": apiKey, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // keep the raw text
      }
      return { status: res.status, headers: res.headers, body: parsed };
    },
    async health() {
      const res = await fetch(new URL("/__sandbox/health", running.url));
      return expectShape(SandboxHealth, await res.json());
    },
    async restart() {
      await running.close();
      running = await startSandbox({ ...base, reset: false, seed: undefined });
      routeSdk(running.url);
    },
    async dispose() {
      await running.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return sandbox;
}

/** Wait until `predicate()` is truthy, polling every `intervalMs`; fails after `timeoutMs`. */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 25, what = "condition" } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Await `promise`, expecting the SDK to throw a CommetAPIError with this status and code. */
export async function expectApiError(
  promise: Promise<unknown>,
  expected: { status: number; code: string },
): Promise<CommetAPIError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  if (!(caught instanceof CommetAPIError)) {
    throw new Error(
      `expected CommetAPIError ${expected.status} ${expected.code}, got ${caught === undefined ? "success" : String(caught)}`,
    );
  }
  if (caught.statusCode !== expected.status || caught.code !== expected.code) {
    throw new Error(
      `expected ${expected.status} ${expected.code}, got ${caught.statusCode} ${caught.code}: ${caught.message}`,
    );
  }
  return caught;
}

/** What the seeded demo organization offers, discovered through the SDK (no hard-coded codes). */
export interface Catalog {
  plans: PlanT[];
  featureCodes: string[];
  /** Metered plan with a usage feature that allows overage, a seats feature and a quota feature. */
  metered: { plan: PlanT; usage: string; seats: string; quota: string; includedUsage: number };
  /** Credits plan that blocks on exhaustion, with a usage feature. */
  credits: { plan: PlanT; usage: string };
  /** A plan and a seats feature of the catalog that the plan does not include. */
  seatsOutside: { plan: PlanT; seats: string };
}

type PlanFeatureT = NonNullable<PlanT["features"]>[number];

function featureOf(plan: PlanT, pick: (f: PlanFeatureT) => boolean): PlanFeatureT | undefined {
  return plan.features?.find(pick);
}

export async function loadCatalog(commet: Commet): Promise<Catalog> {
  const plans = expectShape(envelope(z.array(Plan)), await commet.plans.list({ includePrivate: "true" })).data;
  const features = expectShape(envelope(z.array(Feature)), await commet.features.list()).data;
  const featureCodes = features.map((f) => f.code);
  let metered: Catalog["metered"] | undefined;
  for (const plan of plans) {
    if (plan.consumptionModel !== "metered") continue;
    const usage = featureOf(plan, (f) => f.type === "usage" && f.enabled && !f.unlimited && !!f.overage?.enabled);
    const seats = featureOf(plan, (f) => f.type === "seats" && f.enabled);
    const quota = featureOf(plan, (f) => f.type === "quota" && f.enabled);
    if (usage && seats && quota) {
      metered = {
        plan,
        usage: usage.code,
        seats: seats.code,
        quota: quota.code,
        includedUsage: usage.includedAmount ?? 0,
      };
      break;
    }
  }
  let credits: Catalog["credits"] | undefined;
  for (const plan of plans) {
    if (plan.consumptionModel !== "credits" || plan.blockOnExhaustion !== true) continue;
    const usage = featureOf(plan, (f) => f.type === "usage" && f.enabled);
    if (usage) {
      credits = { plan, usage: usage.code };
      break;
    }
  }
  let seatsOutside: Catalog["seatsOutside"] | undefined;
  for (const plan of plans) {
    const inPlan = new Set((plan.features ?? []).map((f) => f.code));
    const seats = features.find((f) => f.type === "seats" && !inPlan.has(f.code));
    if (seats) {
      seatsOutside = { plan, seats: seats.code };
      break;
    }
  }
  if (!metered) throw new Error("seed has no metered plan with usage (overage) + seats + quota features");
  if (!credits) throw new Error("seed has no credits plan with blockOnExhaustion and a usage feature");
  if (!seatsOutside) throw new Error("seed has no plan lacking one of the catalog's seats features");
  return { plans, featureCodes, metered, credits, seatsOutside };
}

/** Create a fresh customer with an active subscription on `plan`. */
export async function subscribedCustomer(
  commet: Commet,
  plan: PlanT,
  extra: { initialSeats?: Record<string, number> } = {},
): Promise<{ customer: CustomerT; subscription: SubscriptionT }> {
  const tag = randomSuffix();
  const customer = expectShape(
    envelope(Customer),
    await commet.customers.create({
      email: `contract+${tag}@example.test`,
      externalId: `ext_${tag}`,
      fullName: `Contract ${tag}`,
    }),
  ).data;
  const subscription = expectShape(
    envelope(Subscription),
    await commet.subscriptions.create({ customerId: customer.id, planCode: plan.code, skipTrial: true, ...extra }),
  ).data;
  if (subscription.status !== "active") {
    throw new Error(`subscription on ${plan.code} came back ${subscription.status}, expected active`);
  }
  return { customer, subscription };
}

/**
 * Fault rules are the sandbox's admin format (PUT /__sandbox/faults): `route` "METHOD /path" glob,
 * latencyMs, errorRate + errorStatus (500/503), rateLimit { retryAfterSeconds }, applyThenDrop, times.
 */
export type { FaultRule };

export async function setFaults(sandbox: TestSandbox, rules: FaultRule[]): Promise<void> {
  const res = await sandbox.admin("PUT", "/__sandbox/faults", { rules });
  if (res.status !== 200) throw new Error(`PUT /__sandbox/faults → ${res.status} ${JSON.stringify(res.body)}`);
}

export async function clearFaults(sandbox: TestSandbox): Promise<void> {
  const res = await sandbox.admin("DELETE", "/__sandbox/faults");
  if (res.status !== 200 && res.status !== 204) {
    throw new Error(`DELETE /__sandbox/faults → ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** One webhook delivery as received: raw body (for signature checks), headers and parsed JSON. */
export interface ReceivedHook {
  rawBody: string;
  headers: Record<string, string>;
  json: { id?: string; event?: string; data?: Record<string, unknown> } & Record<string, unknown>;
  /** Status this receiver answered with. */
  answered: number;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  hooks: ReceivedHook[];
  close(): Promise<void>;
}

/**
 * A tiny webhook receiver on 127.0.0.1. `failFirst` = how many deliveries of each event id
 * are answered 500 before answering 200 (to exercise the sandbox's retries).
 */
export async function startWebhookReceiver({ failFirst = 0 } = {}): Promise<WebhookReceiver> {
  const hooks: ReceivedHook[] = [];
  const seenById = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8");
      let json: ReceivedHook["json"] = {};
      try {
        json = JSON.parse(rawBody) as ReceivedHook["json"];
      } catch {
        // leave empty: the test will fail on the shape
      }
      const id = typeof json.id === "string" ? json.id : rawBody;
      const n = (seenById.get(id) ?? 0) + 1;
      seenById.set(id, n);
      const answered = n <= failFirst ? 500 : 200;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = headerValue(v);
      hooks.push({ rawBody, headers, json, answered, at: Date.now() });
      res.writeHead(answered, { "content-type": "text/plain" }).end(answered === 200 ? "ok" : "try again");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/commet`,
    hooks,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Await `promise`, expecting a 400 validation_error, which the SDK surfaces as CommetValidationError. */
export async function expectValidationError(promise: Promise<unknown>, field: string): Promise<CommetValidationError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  if (!(caught instanceof CommetValidationError)) {
    throw new Error(
      `expected CommetValidationError on '${field}', got ${caught === undefined ? "success" : String(caught)}`,
    );
  }
  if (!caught.validationErrors[field]?.length) {
    throw new Error(`expected a validation error on '${field}', got ${JSON.stringify(caught.validationErrors)}`);
  }
  return caught;
}

/** The vitest hooks `useContractSandbox` registers (passed in: this module also serves the bench). */
export interface SuiteHooks {
  beforeAll(fn: () => Promise<void>, timeout?: number): void;
  afterAll(fn: () => Promise<void>, timeout?: number): void;
}

export interface ContractContext {
  readonly sandbox: TestSandbox;
  readonly commet: Commet;
  readonly catalog: Catalog;
}

/**
 * One sandbox per test file: started in `beforeAll` (options may be computed then, e.g. after
 * starting a webhook receiver), with an SDK client and the discovered catalog; disposed in `afterAll`.
 */
export function useContractSandbox(
  hooks: SuiteHooks,
  options:
    | Omit<Partial<SandboxOptions>, "port" | "host" | "dataDir">
    | (() => Promise<Omit<Partial<SandboxOptions>, "port" | "host" | "dataDir">>),
): ContractContext {
  let current: { sandbox: TestSandbox; commet: Commet; catalog: Catalog } | null = null;
  const get = () => {
    if (!current) throw new Error("contract sandbox not started (used outside a test?)");
    return current;
  };
  hooks.beforeAll(async () => {
    const resolved = typeof options === "function" ? await options() : options;
    const sandbox = await startTestSandbox(resolved);
    const commet = sandbox.client();
    current = { sandbox, commet, catalog: await loadCatalog(commet) };
  });
  hooks.afterAll(async () => {
    await current?.sandbox.dispose();
  });
  return {
    get sandbox() {
      return get().sandbox;
    },
    get commet() {
      return get().commet;
    },
    get catalog() {
      return get().catalog;
    },
  };
}
