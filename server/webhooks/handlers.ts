/**
 * What a domain contributes to the webhook intake (docs/decisions/0011-webhook-intake.md): handlers by
 * event type, and observers that see every event. `webhookIntake(...domains)` merges them once.
 */
import { z } from "zod";
import type { SchemalessDb } from "../db/index.ts";

/** An event id (`whev_…`): printable, no spaces, at most 200 characters. It is the dedupe key. */
export const webhookEventIdSchema = z.string().regex(/^[\x21-\x7e]{1,200}$/);

/** The envelope of every Commet webhook (docs: webhooks/introduction). */
export const webhookEnvelopeSchema = z.object({
  id: webhookEventIdSchema,
  event: z.string().min(1).max(100),
  timestamp: z.iso.datetime({ offset: true }),
  organizationId: z.string().optional(),
  mode: z.enum(["live", "sandbox"]).optional(),
  apiVersion: z.string().optional(),
  data: z.record(z.string(), z.unknown()),
});
export type WebhookEnvelope = z.infer<typeof webhookEnvelopeSchema>;

export interface WebhookContext {
  /** The transaction the event id was recorded in: write through it (each domain views it through its own tables). */
  trx: SchemalessDb;
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
  applyMany?(items: Array<{ data: z.infer<S>; ctx: WebhookContext }>, trx: SchemalessDb): Promise<void>;
}

export type WebhookHandlers = Readonly<Record<string, WebhookHandler>>;

/** Typed helper to declare a handler (and, optionally, its batch form). */
export function webhookHandler<S extends z.ZodType>(
  schema: S,
  apply: (data: z.infer<S>, ctx: WebhookContext) => Promise<void>,
  applyMany?: (items: Array<{ data: z.infer<S>; ctx: WebhookContext }>, trx: SchemalessDb) => Promise<void>,
): WebhookHandler {
  const handler: WebhookHandler = { schema, apply: apply as WebhookHandler["apply"] };
  if (applyMany) handler.applyMany = applyMany as NonNullable<WebhookHandler["applyMany"]>;
  return handler;
}

/**
 * Sees every new event of any type, handled or not, after the handlers: applied when the event's data
 * matches `schema`, skipped otherwise (never a 400).
 */
export interface WebhookObserver<S extends z.ZodType = z.ZodType> {
  schema: S;
  apply(data: z.infer<S>, ctx: WebhookContext): Promise<void>;
}

export function webhookObserver<S extends z.ZodType>(
  schema: S,
  apply: (data: z.infer<S>, ctx: WebhookContext) => Promise<void>,
): WebhookObserver {
  return { schema, apply: apply as WebhookObserver["apply"] };
}

/** One domain's contribution. */
export interface WebhookDomain {
  readonly handlers?: WebhookHandlers;
  readonly observers?: readonly WebhookObserver[];
}

/** The merged contributions the intake dispatches to. */
export interface WebhookIntake {
  readonly handlers: WebhookHandlers;
  readonly observers: readonly WebhookObserver[];
}

/** Merges the domains' contributions; two domains handling one event type is a wiring error. */
export function webhookIntake(...domains: readonly WebhookDomain[]): WebhookIntake {
  const handlers: Record<string, WebhookHandler> = {};
  for (const domain of domains) {
    for (const [event, handler] of Object.entries(domain.handlers ?? {})) {
      if (Object.hasOwn(handlers, event)) throw new Error(`Two webhook handlers for ${event}`);
      handlers[event] = handler;
    }
  }
  return { handlers, observers: domains.flatMap((d) => d.observers ?? []) };
}
