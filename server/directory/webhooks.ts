/**
 * Commet webhooks → the index. `handleCommetWebhook` is what POST /webhooks/commet calls with the raw
 * body: it verifies the signature with the SDK (`commet.webhooks.verify`, HMAC-SHA256 of the raw body
 * with COMMET_WEBHOOK_SECRET), validates the envelope and the event's data with zod, records the event
 * id in `webhook_events` (deduplication: Commet retries with the same id) and applies the event in the
 * same transaction — a bad payload stores nothing, a failure rolls back so Commet's retry redoes it.
 *
 * Dispatch is a map event type → handler (`WebhookHandlers`); other modules add theirs by passing
 * `handlers: { ...directoryWebhookHandlers, ...theirs }`. Events without a handler are recorded and
 * acknowledged. Any event whose data names an invoice number and a customer also feeds the search's
 * invoice lookup.
 */
import type { Commet } from "@commet/node";
import { z } from "zod";
import type { Clock } from "../db/index.ts";
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
}

export type WebhookHandlers = Readonly<Record<string, WebhookHandler>>;

/** Typed helper to declare a handler. */
export function webhookHandler<S extends z.ZodType>(
  schema: S,
  apply: (data: z.infer<S>, ctx: WebhookContext) => Promise<void>,
): WebhookHandler {
  return { schema, apply: apply as WebhookHandler["apply"] };
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

  const now = clock();
  try {
    const result = await tables(database)
      .transaction()
      .execute(async (trx) => {
        const inserted = await trx
          .insertInto("webhook_events")
          .values({ id: event.id, type: event.event, received_at: now })
          .onConflict((oc) => oc.column("id").doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return "duplicate" as const;
        const ctx: WebhookContext = { trx, envelope: event, eventAt: Date.parse(event.timestamp), now };
        if (handler) await handler.apply(data, ctx);
        if (invoice.success) {
          await recordInvoice(
            trx,
            {
              invoiceNumber: invoice.data.invoiceNumber,
              invoiceId: invoice.data.invoiceId ?? null,
              customerRef: invoice.data.customerId,
            },
            now,
          );
        }
        return handler ? ("received" as const) : ("ignored" as const);
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

/** Largest webhook body accepted (Commet's payloads are a few KB). */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/**
 * The whole POST /webhooks/commet exchange for a Fetch `Request` (a Remix resource route's action):
 * reads the raw body and the X-Commet-Signature / X-Commet-Event-Id headers, calls
 * handleCommetWebhook and answers JSON with its status.
 */
export async function commetWebhookResponse(
  database: DirectoryDb,
  request: Request,
  options: Omit<HandleWebhookInput, "rawBody" | "signature" | "eventIdHeader">,
): Promise<Response> {
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  if (request.method !== "POST") return json(405, { ok: false, error: "method_not_allowed" });
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_WEBHOOK_BODY_BYTES) return json(413, { ok: false, error: "payload_too_large" });
  const rawBody = await request.text();
  if (Buffer.byteLength(rawBody) > MAX_WEBHOOK_BODY_BYTES) return json(413, { ok: false, error: "payload_too_large" });
  const result = await handleCommetWebhook(database, {
    ...options,
    rawBody,
    signature: request.headers.get("x-commet-signature"),
    eventIdHeader: request.headers.get("x-commet-event-id"),
  });
  return json(result.status, result.body);
}
