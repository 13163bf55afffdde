/**
 * One Commet delivery, verified and applied: the SDK checks the signature (HMAC-SHA256 of the raw body
 * with COMMET_WEBHOOK_SECRET), zod the envelope and the handler's data, and the commit queue records the
 * event id and applies it in one transaction (docs/decisions/0011-webhook-intake.md).
 */
import type { Commet } from "@commet/node";
import { z } from "zod";
import type { Clock } from "../db/index.ts";
import { logger, webhookFailed, webhookLag, webhookProcessed } from "../observability/index.ts";
import { commitQueue } from "./commit-queue.ts";
import { webhookEnvelopeSchema, type WebhookEnvelope, type WebhookIntake } from "./handlers.ts";
import type { WebhookDatabase } from "./schema.ts";

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
  intake: WebhookIntake;
  clock?: Clock;
  /** Failures inside a handler (500) are reported here (default: the error log). */
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

/**
 * Verify, validate, deduplicate and apply one delivery. Never throws. A bad payload stores nothing; a
 * failure rolls back, so Commet's retry redoes it. Events without a handler are recorded and acknowledged.
 * Counted in the webhook metrics; a new event's lag (now − its timestamp) is observed.
 */
export async function handleCommetWebhook(
  database: WebhookDatabase,
  input: HandleWebhookInput,
): Promise<WebhookResponse> {
  const outcome: { event?: WebhookEnvelope } = {};
  const response = await applyCommetWebhook(database, input, outcome);
  // The type is a label only once the body is signed and well-formed: Commet's finite event catalogue.
  const event = outcome.event?.event ?? "unverified";
  if (response.status === 200) {
    webhookProcessed().inc({ event, result: response.body.result ?? "received" });
    if (response.body.result === "received" && outcome.event) {
      const now = (input.clock ?? Date.now)();
      webhookLag().observe({ event }, Math.max(0, now - Date.parse(outcome.event.timestamp)) / 1000);
    }
  } else {
    webhookFailed().inc({ event, error: response.body.error ?? String(response.status) });
  }
  return response;
}

async function applyCommetWebhook(
  database: WebhookDatabase,
  input: HandleWebhookInput,
  outcome: { event?: WebhookEnvelope },
): Promise<WebhookResponse> {
  const { handlers, observers } = input.intake;
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
  const envelope = webhookEnvelopeSchema.safeParse(json);
  if (!envelope.success) {
    const fieldErrors = z.flattenError(envelope.error).fieldErrors;
    // The id is the dedupe key, so only the signed body may carry it (never the X-Commet-Event-Id header).
    const message = fieldErrors.id
      ? "The signed body carries no usable event id (`id`, present in every Commet envelope); nothing was stored."
      : "The body is not a Commet webhook envelope.";
    return fail(400, "invalid_payload", message, { fieldErrors });
  }
  const event = envelope.data;
  outcome.event = event;
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
  const observed = observers.flatMap((observer) => {
    const parsed = observer.schema.safeParse(event.data);
    return parsed.success ? [{ observer, data: parsed.data }] : [];
  });

  try {
    const result = await commitQueue(database).submit({ event, handler, data, observed, now: clock() });
    return { status: 200, body: { ok: true, result, eventId: event.id } };
  } catch (error) {
    (
      input.onError ??
      ((e: unknown) => logger("webhooks").error({ err: e, event: event.event, eventId: event.id }, "event failed"))
    )(error, event);
    return fail(500, "processing_failed", "The event could not be applied; Commet will retry it.", {
      eventId: event.id,
    });
  }
}
