// The sandbox's webhook endpoint routes and the event names it can send.

import { randomBytes } from "node:crypto";
import { z } from "zod";
import { type RouteDef, listReply, page, pageQuery, parse } from "../api.ts";
import { errors } from "../errors.ts";
import { newId } from "../ids.ts";
import type { EndpointRow, Sandbox } from "../model.ts";
import { endpointOut } from "../serialize.ts";

/** Every event name @commet/node 7.10.0 knows (WebhookEvent). */
export const WEBHOOK_EVENTS = [
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
  "trial.will_end",
  "trial.checkout_ready",
  "checkout.ready",
  "payment.received",
  "payment.failed",
  "payment.recovered",
  "payment.retry_failed",
  "payment.refunded",
  "payment.disputed",
  "payment.dispute_resolved",
  "payment_link.created",
  "payment_link.completed",
  "payment_link.failed",
  "payment_link.canceled",
  "invoice.created",
  "invoice.voided",
  "invoice.overdue",
  "invoice.upcoming",
  "payment_method.attached",
  "payment_method.updated",
  "customer.created",
  "customer.updated",
  "customer.state_changed",
  "credits.granted",
  "credits.purchased",
  "credits.low",
  "credits.depleted",
  "credits.expired",
  "balance.topped_up",
  "balance.low",
  "balance.depleted",
  "quota.threshold_reached",
  "quota.exceeded",
  "seats.updated",
  "seats.limit_reached",
  "addon.activated",
  "addon.deactivated",
  "usage.recorded",
  "payout.available",
  "payout.created",
  "payout.paid",
  "payout.failed",
] as const;

const httpUrl = z.url({ protocol: /^https?$/ });
const createSchema = z.object({
  url: httpUrl,
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1),
  description: z.string().max(500).optional(),
  apiVersion: z.string().max(32).optional(),
});
const updateSchema = z.object({
  url: httpUrl.optional(),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).optional(),
  description: z.string().max(500).nullable().optional(),
  isActive: z.boolean().optional(),
  apiVersion: z.string().max(32).optional(),
});

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString("base64url")}`;
}

function getEndpoint(sb: Sandbox, id: string): EndpointRow {
  const e = sb.q("SELECT * FROM webhook_endpoints WHERE id = ?").get(id) as EndpointRow | undefined;
  if (!e) throw errors.webhookNotFound(id);
  return e;
}

/** SANDBOX_WEBHOOK_URL / _SECRET: one endpoint subscribed to every event, kept in sync at each start. */
export function registerEnvEndpoint(sb: Sandbox, url: string, secret?: string): string {
  const existing = sb.q("SELECT * FROM webhook_endpoints WHERE description = 'SANDBOX_WEBHOOK_URL'").get() as
    EndpointRow | undefined;
  const key = secret ?? existing?.secret ?? newWebhookSecret();
  const events = JSON.stringify(WEBHOOK_EVENTS);
  if (existing) {
    sb.q("UPDATE webhook_endpoints SET url = ?, events = ?, secret = ?, is_active = 1 WHERE id = ?").run(
      url,
      events,
      key,
      existing.id,
    );
  } else {
    sb.q(
      `INSERT INTO webhook_endpoints (id, url, events, description, is_active, api_version, secret, created_at)
       VALUES (?, ?, ?, 'SANDBOX_WEBHOOK_URL', 1, NULL, ?, ?)`,
    ).run(newId("we"), url, events, key, sb.clock.iso());
  }
  sb.invalidateEndpoints();
  return key;
}

export const webhookRoutes: RouteDef[] = [
  [
    "GET",
    "/api/v1/webhooks",
    ({ sb, query }) =>
      listReply(page<EndpointRow>(sb, "webhook_endpoints", [], parse(z.object(pageQuery), query)), endpointOut),
  ],
  [
    "POST",
    "/api/v1/webhooks",
    ({ sb, body }) => {
      const input = parse(createSchema, body);
      const id = newId("we");
      const secret = newWebhookSecret();
      sb.q(
        `INSERT INTO webhook_endpoints (id, url, events, description, is_active, api_version, secret, created_at)
         VALUES (?, ?, ?, ?, 1, ?, ?, ?)`,
      ).run(
        id,
        input.url,
        JSON.stringify(input.events),
        input.description ?? null,
        input.apiVersion ?? null,
        secret,
        sb.clock.iso(),
      );
      sb.invalidateEndpoints();
      return { status: 201, data: { ...endpointOut(getEndpoint(sb, id)), secretKey: secret } };
    },
  ],
  ["GET", "/api/v1/webhooks/:id", ({ sb, params }) => ({ data: endpointOut(getEndpoint(sb, params.id!)) })],
  [
    "PUT",
    "/api/v1/webhooks/:id",
    ({ sb, params, body }) => {
      const input = parse(updateSchema, body);
      const e = getEndpoint(sb, params.id!);
      sb.q(
        "UPDATE webhook_endpoints SET url = ?, events = ?, description = ?, is_active = ?, api_version = ? WHERE id = ?",
      ).run(
        input.url ?? e.url,
        input.events ? JSON.stringify(input.events) : e.events,
        input.description === undefined ? e.description : input.description,
        input.isActive === undefined ? e.is_active : input.isActive ? 1 : 0,
        input.apiVersion ?? e.api_version,
        e.id,
      );
      sb.invalidateEndpoints();
      return { data: endpointOut(getEndpoint(sb, e.id)) };
    },
  ],
  [
    "DELETE",
    "/api/v1/webhooks/:id",
    ({ sb, params }) => {
      const e = getEndpoint(sb, params.id!);
      sb.tx(() => {
        sb.q("DELETE FROM webhook_endpoints WHERE id = ?").run(e.id);
        sb.q("DELETE FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'pending'").run(e.id);
      });
      sb.invalidateEndpoints();
      return { data: { id: e.id, deleted: true } };
    },
  ],
];
