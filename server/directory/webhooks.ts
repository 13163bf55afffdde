/**
 * Commet webhooks → the index. `handleCommetWebhook` is what POST /webhooks/commet calls with the raw
 * body: it verifies the signature with the SDK (`commet.webhooks.verify`, HMAC-SHA256 of the raw body
 * with COMMET_WEBHOOK_SECRET), validates the envelope and the event's data with zod, records the event
 * id in `webhook_events` (deduplication: Commet retries with the same id) and applies the event in the
 * same transaction — a bad payload stores nothing, a failure rolls back so Commet's retry redoes it.
 * Deliveries arriving together share a transaction (group commit, `CommitQueue`): each is answered after
 * the commit that holds it, and a batch that fails is retried one delivery per transaction.
 *
 * Dispatch is a map event type → handler (`WebhookHandlers`); other modules add theirs by passing
 * `handlers: { ...directoryWebhookHandlers, ...theirs }`. Events without a handler are recorded and
 * acknowledged. Any event whose data names an invoice number and a customer also feeds the search's
 * invoice lookup.
 */
import type { Commet } from "@commet/node";
import express from "express";
import { z } from "zod";
import { chunks, type Clock } from "../db/index.ts";
import { tables, type Db, type DirectoryDb } from "./schema.ts";
import { recordInvoice, setSeatCount, upsertCustomers, upsertSubscriptions, type SubscriptionInput } from "./store.ts";

/** The envelope of every Commet webhook (docs: webhooks/introduction). */
export const webhookEnvelopeSchema = z.object({
  id: z.string().min(1).max(200),
  event: z.string().min(1).max(100),
  timestamp: z.iso.datetime({ offset: true }),
  organizationId: z.string().optional(),
  mode: z.enum(["live", "sandbox"]).optional(),
  apiVersion: z.string().optional(),
  data: z.record(z.string(), z.unknown()),
});
export type WebhookEnvelope = z.infer<typeof webhookEnvelopeSchema>;

export interface WebhookContext {
  /** The transaction the event id was recorded in: write through it. */
  trx: Db;
  envelope: WebhookEnvelope;
  /** Event time (epoch ms): newer facts win over older ones. */
  eventAt: number;
  now: number;
}

export interface WebhookHandler<S extends z.ZodType = z.ZodType> {
  /** Validates `data`; a mismatch answers 400 and stores nothing. */
  schema: S;
  apply(data: z.infer<S>, ctx: WebhookContext): Promise<void>;
  /**
   * Optional batch form, for high-volume event types: applies several new (deduplicated) events of
   * this type, in arrival order, through `trx`; must leave the same state as `apply` one by one.
   */
  applyMany?(items: Array<{ data: z.infer<S>; ctx: WebhookContext }>, trx: Db): Promise<void>;
}

export type WebhookHandlers = Readonly<Record<string, WebhookHandler>>;

/** Typed helper to declare a handler (and, optionally, its batch form). */
export function webhookHandler<S extends z.ZodType>(
  schema: S,
  apply: (data: z.infer<S>, ctx: WebhookContext) => Promise<void>,
  applyMany?: (items: Array<{ data: z.infer<S>; ctx: WebhookContext }>, trx: Db) => Promise<void>,
): WebhookHandler {
  const handler: WebhookHandler = { schema, apply: apply as WebhookHandler["apply"] };
  if (applyMany) handler.applyMany = applyMany as NonNullable<WebhookHandler["applyMany"]>;
  return handler;
}

const customerData = z.object({
  id: z.string().min(1),
  externalId: z.string().nullable().optional(),
  fullName: z.string().nullable().optional(),
  email: z.string().min(1),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const planRef = z.object({ id: z.string().min(1), name: z.string() });

/** Common shape of subscription.* and trial.* data; each event carries a subset. */
const subscriptionData = z.object({
  subscriptionId: z.string().min(1),
  customerId: z.string().min(1),
  status: z.string().optional(),
  planId: z.string().optional(),
  planName: z.string().optional(),
  currentPlan: planRef.optional(),
  startDate: z.string().optional(),
});

const seatsData = z.object({
  customerId: z.string().min(1),
  subscriptionId: z.string().min(1).nullable(),
  featureCode: z.string().min(1),
  previousSeats: z.number().optional(),
  currentSeats: z.number().int().min(0),
});

const applyCustomer = webhookHandler(customerData, async (c, { trx, now }) => {
  await upsertCustomers(
    trx,
    [
      {
        id: c.id,
        externalId: c.externalId ?? null,
        email: c.email,
        fullName: c.fullName ?? null,
        createdAt: c.createdAt,
        updatedAt: c.updatedAt,
      },
    ],
    now,
  );
});

const applySubscription = webhookHandler(subscriptionData, async (s, { trx, eventAt, now }) => {
  const input: SubscriptionInput = { id: s.subscriptionId, customerRef: s.customerId };
  if (s.status !== undefined) input.status = s.status;
  const plan = s.currentPlan ?? (s.planId ? { id: s.planId, name: s.planName ?? null } : undefined);
  if (plan) {
    input.planId = plan.id;
    input.planName = plan.name;
  }
  if (s.startDate !== undefined) input.startDate = s.startDate;
  await upsertSubscriptions(trx, [input], eventAt, now);
});

const applySeats = webhookHandler(seatsData, async (s, { trx, eventAt, now }) => {
  await setSeatCount(
    trx,
    { customerRef: s.customerId, subscriptionId: s.subscriptionId, featureCode: s.featureCode, count: s.currentSeats },
    eventAt,
    now,
  );
});

const SUBSCRIPTION_EVENTS = [
  "subscription.created",
  "subscription.activated",
  "subscription.reactivated",
  "subscription.canceled",
  "subscription.updated",
  "subscription.plan_changed",
  "subscription.cancellation_scheduled",
  "subscription.cancellation_revoked",
  "subscription.plan_change_scheduled",
  "subscription.plan_change_revoked",
  "subscription.past_due",
  "trial.started",
  "trial.converted",
  "trial.expired",
] as const;

/** What the directory applies to its index. */
export const directoryWebhookHandlers: WebhookHandlers = {
  "customer.created": applyCustomer,
  "customer.updated": applyCustomer,
  "seats.updated": applySeats,
  ...Object.fromEntries(SUBSCRIPTION_EVENTS.map((e) => [e, applySubscription])),
};

const invoiceRef = z.object({
  invoiceNumber: z.string().min(1).max(100),
  invoiceId: z.string().optional(),
  customerId: z.string().min(1),
});

export interface WebhookResponse {
  status: 200 | 400 | 401 | 500;
  body: {
    ok: boolean;
    /** received | duplicate | ignored (no handler) on 200; an error code otherwise. */
    result?: "received" | "duplicate" | "ignored";
    error?: string;
    message?: string;
    eventId?: string;
    fieldErrors?: Record<string, string[] | undefined>;
  };
}

export interface HandleWebhookInput {
  rawBody: string;
  /** The X-Commet-Signature header. */
  signature: string | null;
  /** COMMET_WEBHOOK_SECRET (whsec_…). */
  secret: string | undefined;
  commet: Pick<Commet, "webhooks">;
  /** The X-Commet-Event-Id header: used when the body carries no `id`. */
  eventIdHeader?: string | null;
  handlers?: WebhookHandlers;
  clock?: Clock;
  /** Failures inside a handler (500) are reported here (default console.error). */
  onError?: (error: unknown, envelope: WebhookEnvelope) => void;
}

function fail(
  status: 400 | 401 | 500,
  error: string,
  message: string,
  extra: Partial<WebhookResponse["body"]> = {},
): WebhookResponse {
  return { status, body: { ok: false, error, message, ...extra } };
}

/** Verify, validate, deduplicate and apply one delivery. Never throws. */
export async function handleCommetWebhook(database: DirectoryDb, input: HandleWebhookInput): Promise<WebhookResponse> {
  const handlers = input.handlers ?? directoryWebhookHandlers;
  const clock = input.clock ?? Date.now;
  if (!input.secret)
    return fail(401, "webhook_secret_missing", "COMMET_WEBHOOK_SECRET is not configured; nothing can be verified.");
  if (!input.signature) return fail(401, "missing_signature", "The X-Commet-Signature header is missing.");
  if (!input.commet.webhooks.verify({ payload: input.rawBody, signature: input.signature, secret: input.secret })) {
    return fail(401, "invalid_signature", "The signature does not match the body.");
  }
  let json: unknown;
  try {
    json = JSON.parse(input.rawBody);
  } catch {
    return fail(400, "invalid_json", "The body is not JSON.");
  }
  if (typeof json === "object" && json !== null && !("id" in json) && input.eventIdHeader) {
    json = { ...json, id: input.eventIdHeader };
  }
  const envelope = webhookEnvelopeSchema.safeParse(json);
  if (!envelope.success) {
    return fail(400, "invalid_payload", "The body is not a Commet webhook envelope.", {
      fieldErrors: z.flattenError(envelope.error).fieldErrors,
    });
  }
  const event = envelope.data;
  const handler = Object.hasOwn(handlers, event.event) ? handlers[event.event] : undefined;
  let data: unknown = event.data;
  if (handler) {
    const parsed = handler.schema.safeParse(event.data);
    if (!parsed.success) {
      return fail(400, "invalid_payload", `The data of ${event.event} does not have the documented shape.`, {
        eventId: event.id,
        fieldErrors: z.flattenError(parsed.error).fieldErrors as Record<string, string[] | undefined>,
      });
    }
    data = parsed.data;
  }
  const invoice = invoiceRef.safeParse(event.data);

  try {
    const result = await commitQueue(database).submit({
      event,
      handler,
      data,
      invoice: invoice.success ? invoice.data : null,
      now: clock(),
    });
    return { status: 200, body: { ok: true, result, eventId: event.id } };
  } catch (error) {
    (input.onError ?? ((e: unknown) => console.error(`[webhooks] ${event.event} ${event.id} failed:`, e)))(
      error,
      event,
    );
    return fail(500, "processing_failed", "The event could not be applied; Commet will retry it.", {
      eventId: event.id,
    });
  }
}

type ApplyResult = "received" | "duplicate" | "ignored";

interface PendingEvent {
  event: WebhookEnvelope;
  handler: WebhookHandler | undefined;
  data: unknown;
  invoice: z.infer<typeof invoiceRef> | null;
  now: number;
}

/** Deliveries committed in one transaction at most (a few hundred statements' worth of parameters). */
const MAX_GROUP = 256;

/**
 * Group commit. Verified deliveries queue here; while one transaction is running, the deliveries that
 * arrive meanwhile gather and are committed together in the next one — no added wait when traffic is
 * light (a lone delivery commits at once), a few statements per batch instead of per event when it is
 * heavy. Every delivery is answered only after the transaction holding it committed, so an acknowledged
 * event is never lost. If a batch fails, each of its deliveries is retried alone in its own
 * transaction, so one bad event fails only itself (500, Commet retries it).
 */
class CommitQueue {
  private pending: Array<PendingEvent & { settle: (r: ApplyResult) => void; fail: (e: unknown) => void }> = [];
  private running = false;

  constructor(private readonly database: DirectoryDb) {}

  submit(job: PendingEvent): Promise<ApplyResult> {
    return new Promise<ApplyResult>((settle, fail) => {
      this.pending.push({ ...job, settle, fail });
      if (!this.running) {
        this.running = true;
        // Start after the I/O callbacks already due in this turn of the event loop: deliveries read in the
        // same turn join this first transaction (with SQLite a lone transaction finishes before the next
        // socket is even read, so starting at once would commit one delivery at a time).
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const group = this.pending.splice(0, MAX_GROUP);
        try {
          const results = await this.commit(group);
          group.forEach((job, i) => job.settle(results[i]!));
        } catch (error) {
          if (group.length === 1) {
            group[0]!.fail(error);
            continue;
          }
          for (const job of group) {
            try {
              job.settle((await this.commit([job]))[0]!);
            } catch (e) {
              job.fail(e);
            }
          }
        }
      }
    } finally {
      this.running = false;
    }
  }

  private commit(group: readonly PendingEvent[]): Promise<ApplyResult[]> {
    return tables(this.database)
      .transaction()
      .execute((trx) => applyEvents(trx, group));
  }
}

const queues = new WeakMap<DirectoryDb, CommitQueue>();

function commitQueue(database: DirectoryDb): CommitQueue {
  let queue = queues.get(database);
  if (!queue) {
    queue = new CommitQueue(database);
    queues.set(database, queue);
  }
  return queue;
}

/**
 * Records the event ids (deduplication: one multi-row insert; only ids not seen before come back) and
 * applies the new events: handlers without a batch form one by one in arrival order, then each batch
 * handler once with all of its events, then invoice references.
 */
async function applyEvents(trx: Db, group: readonly PendingEvent[]): Promise<ApplyResult[]> {
  const firstOf = new Map<string, number>();
  group.forEach((job, i) => {
    if (!firstOf.has(job.event.id)) firstOf.set(job.event.id, i);
  });
  const fresh = new Set<string>();
  const unique = [...firstOf.values()].map((i) => group[i]!);
  for (const part of chunks(unique, 300)) {
    const rows = await trx
      .insertInto("webhook_events")
      .values(part.map((j) => ({ id: j.event.id, type: j.event.event, received_at: j.now })))
      .onConflict((oc) => oc.column("id").doNothing())
      .returning("id")
      .execute();
    for (const r of rows) fresh.add(r.id);
  }
  const isNew = (job: PendingEvent, i: number) => fresh.has(job.event.id) && firstOf.get(job.event.id) === i;
  const ctx = (job: PendingEvent): WebhookContext => ({
    trx,
    envelope: job.event,
    eventAt: Date.parse(job.event.timestamp),
    now: job.now,
  });
  const batches = new Map<WebhookHandler, PendingEvent[]>();
  for (const [i, job] of group.entries()) {
    if (!isNew(job, i) || !job.handler) continue;
    if (job.handler.applyMany) {
      const list = batches.get(job.handler) ?? [];
      list.push(job);
      batches.set(job.handler, list);
    } else {
      await job.handler.apply(job.data, ctx(job));
    }
  }
  for (const [handler, jobs] of batches) {
    await handler.applyMany!(
      jobs.map((job) => ({ data: job.data, ctx: ctx(job) })),
      trx,
    );
  }
  for (const [i, job] of group.entries()) {
    if (!isNew(job, i) || !job.invoice) continue;
    await recordInvoice(
      trx,
      {
        invoiceNumber: job.invoice.invoiceNumber,
        invoiceId: job.invoice.invoiceId ?? null,
        customerRef: job.invoice.customerId,
      },
      job.now,
    );
  }
  return group.map((job, i) => (!isNew(job, i) ? "duplicate" : job.handler ? "received" : "ignored"));
}

/** Largest webhook body accepted (Commet's payloads are a few KB). */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

export interface CommetWebhookEndpointOptions {
  /** The console database (resolved per delivery: the endpoint may be mounted before migrations finish). */
  database: () => Promise<DirectoryDb>;
  /** COMMET_WEBHOOK_SECRET. */
  secret: () => string | undefined;
  commet: () => Pick<Commet, "webhooks">;
  handlers: WebhookHandlers;
}

const jsonError = (res: express.Response, status: number, error: string, message: string) =>
  res.status(status).json({ ok: false, error, message });

/**
 * POST /webhooks/commet as Express middleware, mounted ahead of Remix (server/app-server.ts): a
 * machine-to-machine endpoint needs no HTML, session or route tree, and Commet's usage.recorded
 * volume makes every millisecond per delivery count. Reads the raw body (the signature covers its
 * exact bytes; larger than MAX_WEBHOOK_BODY_BYTES → 413), the X-Commet-Signature / X-Commet-Event-Id
 * headers, and answers handleCommetWebhook's status and JSON. Other methods → 405.
 */
export function commetWebhookRouter(path: string, options: CommetWebhookEndpointOptions): express.Router {
  const router = express.Router();
  router.post(path, express.raw({ type: () => true, limit: MAX_WEBHOOK_BODY_BYTES }), (req, res, next) => {
    const rawBody = Buffer.isBuffer(req.body) ? req.body.toString("utf8") : "";
    const header = (name: string) => {
      const value = req.headers[name];
      return typeof value === "string" ? value : null;
    };
    options
      .database()
      .then((database) =>
        handleCommetWebhook(database, {
          rawBody,
          signature: header("x-commet-signature"),
          eventIdHeader: header("x-commet-event-id"),
          secret: options.secret(),
          commet: options.commet(),
          handlers: options.handlers,
        }),
      )
      // Plain end(): res.json would also hash the body for an ETag nobody revalidates.
      .then((result) => res.status(result.status).type("application/json").end(JSON.stringify(result.body)), next);
  });
  router.all(path, (_req, res) => {
    res.setHeader("allow", "POST");
    jsonError(res, 405, "method_not_allowed", "Commet delivers webhooks with POST.");
  });
  router.use(path, ((error, _req, res, next) => {
    const status = (error as { status?: number; type?: string }).status;
    if (res.headersSent) return next(error);
    if (status === 413)
      return jsonError(res, 413, "payload_too_large", `Webhook bodies are limited to ${MAX_WEBHOOK_BODY_BYTES} bytes.`);
    if (status === 400) return jsonError(res, 400, "invalid_body", "The body could not be read.");
    console.error("[webhooks] delivery failed:", error);
    return jsonError(res, 500, "processing_failed", "The event could not be applied; Commet will retry it.");
  }) as express.ErrorRequestHandler);
  return router;
}
