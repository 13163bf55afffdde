// Starts the local Commet sandbox: store, seed, HTTP API, webhook delivery (docs/decisions/0003-local-sandbox.md).

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import FindMyWay from "find-my-way";
import { z } from "zod";
import type { Handler, Method, RouteDef } from "./api.ts";
import { parse } from "./api.ts";
import { ApiError, errors } from "./errors.ts";
import { DEFAULT_DELIVERY, Deliverer, type DeliveryOptions } from "./delivery.ts";
import { type FaultRule, Faults, faultRulesSchema } from "./faults.ts";
import { newId } from "./ids.ts";
import { IdempotencyStore } from "./idempotency.ts";
import { HistoryReplay } from "./history.ts";
import { Sandbox } from "./model.ts";
import { INDEXES, WriteBatch, getMeta, openStore, wipeStore } from "./store.ts";
import { seedDemo, seedPlanGroup } from "./seed.ts";
import { customerRoutes } from "./routes/customers.ts";
import { catalogRoutes } from "./routes/catalog.ts";
import { subscriptionRoutes } from "./routes/subscriptions.ts";
import { renderChangeCheckout, subscriptionChangeRoutes } from "./routes/subscription-changes.ts";
import { accessRoutes } from "./routes/access.ts";
import { quotaRoutes } from "./routes/quota.ts";
import { seatRoutes } from "./routes/seats.ts";
import { usageRoutes } from "./routes/usage.ts";
import { billingRoutes } from "./routes/billing.ts";
import { webhookRoutes, registerEnvEndpoint } from "./routes/webhooks.ts";
import { portalRoutes, renderCheckout, renderPortal } from "./routes/portal.ts";
import { invoiceRoutes } from "./routes/invoices.ts";
import { serveInvoicePdf } from "./invoice-pdf.ts";
import { paymentRoutes, renderRecovery } from "./routes/payments.ts";
import { PaymentSettler } from "./payments.ts";

export interface SandboxOptions {
  port?: number;
  host?: string;
  dataDir: string;
  apiKey?: string;
  reset?: boolean;
  seed?: { customers?: number };
  webhookUrl?: string;
  webhookSecret?: string;
  quiet?: boolean;
  faults?: FaultRule[];
  delivery?: Partial<DeliveryOptions>;
  /** Real milliseconds before a transaction retry's outcome (default 300). */
  retrySettleMs?: number;
}

export interface RunningSandbox {
  url: string;
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_API_KEY = "ck_local_sandbox";
export const DEFAULT_SEED_CUSTOMERS = 250;
const MAX_BODY_BYTES = 1024 * 1024;

const ROUTES: RouteDef[] = [
  ...customerRoutes,
  ...catalogRoutes,
  ...subscriptionRoutes,
  ...subscriptionChangeRoutes,
  ...accessRoutes,
  ...seatRoutes,
  ...usageRoutes,
  ...quotaRoutes,
  ...billingRoutes,
  ...webhookRoutes,
  ...portalRoutes,
  ...invoiceRoutes,
  ...paymentRoutes,
];

interface RouteStore {
  handler: Handler;
  pattern: string;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

function sendError(res: ServerResponse, e: ApiError): void {
  sendJson(res, e.status, JSON.stringify(e.toBody()), e.extra.headers);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Seeds when the store is empty or a reset is asked for; returns the number of customers seeded (0 = kept). */
function prepareStore(db: ReturnType<typeof openStore>, reset: boolean, customers: number): number {
  let seeded = 0;
  if (reset || getMeta(db, "seeded_at") === null) {
    wipeStore(db);
    seedDemo(db, { customers });
    seeded = customers;
  }
  // Data dirs seeded before plan groups existed get the demo group (no-op otherwise).
  seedPlanGroup(db, new Date().toISOString());
  db.exec(INDEXES);
  return seeded;
}

export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const apiKey = options.apiKey ?? DEFAULT_API_KEY;
  const host = options.host ?? "127.0.0.1";
  const seedCustomers = options.seed?.customers ?? DEFAULT_SEED_CUSTOMERS;
  const log = (msg: string) => {
    if (!options.quiet) process.stderr.write(`[sandbox] ${msg}\n`);
  };

  const db = openStore(options.dataDir, { fresh: options.reset ?? false });
  const t0 = performance.now();
  const seeded = prepareStore(db, options.reset ?? false, seedCustomers);
  if (seeded) log(`seeded ${seeded} customers in ${Math.round(performance.now() - t0)} ms`);

  let origin = "";
  const sb = new Sandbox(db, () => origin);
  const batch = new WriteBatch(db);
  const idem = new IdempotencyStore(db);
  idem.prune(true);
  const faults = new Faults();
  if (options.faults) faults.set(options.faults);
  const history = new HistoryReplay(sb);
  const deliverer = new Deliverer(
    db,
    { ...DEFAULT_DELIVERY, ...options.delivery },
    {
      dropDelivery: (type) => faults.dropDelivery(type),
      refill: () => history.refill(),
    },
  );
  sb.onEventsQueued = () => deliverer.kick();
  sb.dropDelivery = (type) => faults.dropDelivery(type);
  // Every endpoint subscribed to usage.recorded gets the seeded usage history once (history.ts).
  sb.onEndpointsChanged = () => {
    if (history.register() > 0) queueMicrotask(() => deliverer.kick());
  };
  history.register();
  const envEndpoint = () => {
    if (!options.webhookUrl) return;
    const secret = registerEnvEndpoint(sb, options.webhookUrl, options.webhookSecret);
    if (!options.webhookSecret) log(`webhook endpoint ${options.webhookUrl} signs with ${secret}`);
  };
  envEndpoint();
  deliverer.kick();
  const settler = new PaymentSettler(sb, options.retrySettleMs);
  const pruneTimer = setInterval(() => idem.prune(), 60 * 60 * 1000);
  pruneTimer.unref();

  const router = FindMyWay({ ignoreTrailingSlash: true });
  for (const [method, pattern, handler] of ROUTES) {
    router.on(method, pattern, () => {}, { handler, pattern } satisfies RouteStore);
  }

  const authorized = (req: IncomingMessage) => req.headers["x-api-key"] === apiKey;

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? "GET";
    if (path === "/__sandbox/health" && method === "GET") {
      const { n } = db.prepare("SELECT COUNT(*) AS n FROM customers").get() as { n: number };
      sendJson(res, 200, JSON.stringify({ ok: true, livemode: false, customers: n, ...history.progress() }));
      return;
    }
    if (!authorized(req)) return sendError(res, errors.unauthorized());
    if (path === "/__sandbox/faults") {
      if (method === "GET") return sendJson(res, 200, JSON.stringify({ success: true, data: faults.list() }));
      if (method === "DELETE") {
        faults.clear();
        return sendJson(res, 200, JSON.stringify({ success: true, data: [] }));
      }
      if (method === "PUT") {
        const body = parseJsonBody(await readBody(req));
        const rules = parse(
          z.union([faultRulesSchema, z.object({ rules: faultRulesSchema }).transform((o) => o.rules)]),
          body,
        );
        faults.set(rules);
        return sendJson(res, 200, JSON.stringify({ success: true, data: faults.list() }));
      }
    }
    if (path === "/__sandbox/reset" && method === "POST") {
      const raw = await readBody(req);
      const body = parse(
        z.object({ customers: z.number().int().min(0).max(1_000_000).optional() }),
        raw.trim() ? parseJsonBody(raw) : {},
      );
      const started = performance.now();
      const n = body.customers ?? seedCustomers;
      batch.flush();
      deliverer.forget();
      prepareStore(db, true, n);
      sb.reload();
      settler.resume();
      faults.clear();
      envEndpoint();
      const ms = Math.round(performance.now() - started);
      log(`reset: seeded ${n} customers in ${ms} ms`);
      return sendJson(res, 200, JSON.stringify({ success: true, data: { customers: n, seedMs: ms } }));
    }
    return sendError(res, errors.notFound());
  }

  async function handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    search: URLSearchParams,
  ): Promise<void> {
    const method = (req.method ?? "GET") as Method;
    if (!authorized(req)) return sendError(res, errors.unauthorized());
    const fault = faults.decide(method, path);
    if (fault?.rateLimit) return sendError(res, errors.rateLimited(fault.rateLimit.retryAfterSeconds));
    if (fault?.error) {
      return sendError(res, errors.internal(`Injected fault (${fault.error}).`, fault.error));
    }
    const found = router.find(method, path);
    if (!found) return sendError(res, errors.notFound(`No route for ${method} ${path}.`));
    const { handler } = found.store as RouteStore;
    const raw = method === "GET" ? "" : await readBody(req);
    const body = raw.trim() ? parseJsonBody(raw) : undefined;
    const query = Object.fromEntries(search);
    const ctx = {
      sb,
      params: found.params,
      query,
      body,
      requestId: String(res.getHeader("x-request-id")),
    };

    const key = method !== "GET" ? headerValue(req.headers["idempotency-key"]) : undefined;
    const route = `${method} ${path}`;
    const run = (): { status: number; text: string; ok: boolean } => {
      try {
        const reply = handler(ctx);
        const envelope: Record<string, unknown> = { success: true, data: reply.data };
        if (reply.hasMore !== undefined) envelope.hasMore = reply.hasMore;
        if (reply.nextCursor !== undefined) envelope.nextCursor = reply.nextCursor;
        return { status: reply.status ?? 200, text: JSON.stringify(envelope), ok: true };
      } catch (e) {
        if (e instanceof ApiError && e.status < 500)
          return { status: e.status, text: JSON.stringify(e.toBody()), ok: false };
        throw e;
      }
    };

    let outcome: { status: number; text: string; ok: boolean };
    if (key) {
      const hash = IdempotencyStore.hash(raw);
      if (fault && fault.latencyMs > 0) {
        const begun = idem.begin(key, route, hash);
        if (begun.kind !== "new") return answerExisting(res, begun);
        await sleep(fault.latencyMs);
        try {
          outcome = batch.run(() => {
            const o = run();
            idem.complete(key, o.status, o.text);
            return o;
          });
        } catch (e) {
          idem.release(key);
          throw e;
        }
      } else {
        let existing: ReturnType<IdempotencyStore["begin"]> | null = null;
        outcome = batch.run(() => {
          const begun = idem.begin(key, route, hash);
          if (begun.kind !== "new") {
            existing = begun;
            return { status: 0, text: "", ok: false };
          }
          const o = run();
          idem.complete(key, o.status, o.text);
          return o;
        });
        if (existing) return answerExisting(res, existing);
      }
    } else {
      if (fault && fault.latencyMs > 0) await sleep(fault.latencyMs);
      outcome = method === "GET" ? run() : batch.run(run);
    }

    const done = outcome;
    batch.afterCommit((committed) => {
      if (!committed) return sendError(res, errors.internal("The write could not be committed."));
      if (fault?.applyThenDrop) {
        req.socket.destroy();
        return;
      }
      sendJson(res, done.status, done.text);
    });
  }

  function answerExisting(
    res: ServerResponse,
    begun: Exclude<ReturnType<IdempotencyStore["begin"]>, { kind: "new" }>,
  ): void {
    if (begun.kind === "mismatch") return sendError(res, errors.idempotencyKeyMismatch());
    if (begun.kind === "in_progress") return sendError(res, errors.idempotencyInProgress());
    sendJson(res, begun.status, begun.response, { "idempotent-replayed": "true" });
  }

  const server = createServer((req, res) => {
    const requestId = newId("req", 20);
    res.setHeader("x-request-id", requestId);
    const url = new URL(req.url ?? "/", "http://sandbox.local");
    const path = url.pathname;
    const work = async () => {
      if (path.startsWith("/api/v1/") || path === "/api/v1") return handleApi(req, res, path, url.searchParams);
      // Before /checkout/<subscription>: the checkout of a free → paid plan change.
      if ((req.method === "GET" || req.method === "POST") && path.startsWith("/checkout/change/")) {
        return renderChangeCheckout(sb, res, decodeURIComponent(path.slice(17)), req.method);
      }
      if (path.startsWith("/__sandbox/")) return handleAdmin(req, res, path);
      if (req.method === "GET" && path.startsWith("/portal/"))
        return renderPortal(sb, res, decodeURIComponent(path.slice(8)));
      const pdf = req.method === "GET" ? /^\/invoices\/([^/]+)\/pdf$/.exec(path) : null;
      if (pdf) return serveInvoicePdf(sb, res, decodeURIComponent(pdf[1]!), url.searchParams);
      if ((req.method === "GET" || req.method === "POST") && path.startsWith("/checkout/")) {
        return renderCheckout(sb, res, decodeURIComponent(path.slice(10)), req.method);
      }
      if ((req.method === "GET" || req.method === "POST") && path.startsWith("/recover/")) {
        return renderRecovery(sb, res, decodeURIComponent(path.slice(9)), req.method);
      }
      sendError(res, errors.notFound());
    };
    work().catch((e: unknown) => {
      if (res.headersSent || res.destroyed) return;
      if (e instanceof ApiError) return sendError(res, e);
      if (e instanceof BodyTooLarge) {
        return sendError(
          res,
          errors.validation("Request body exceeds 1 MB.", [{ field: "body", message: "Too large" }]),
        );
      }
      log(`internal error on ${req.method} ${path}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      sendError(res, errors.internal());
    });
  });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 4010, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const publicHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  origin = `http://${publicHost}:${port}`;

  let closing: Promise<void> | null = null;
  return {
    url: origin,
    port,
    close() {
      closing ??= (async () => {
        clearInterval(pruneTimer);
        settler.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await deliverer.close();
        batch.flush();
        db.close();
      })();
      return closing;
    },
  };
}

function headerValue(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.length > 0 ? s : undefined;
}

function parseJsonBody(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw errors.invalidJson();
  }
}
