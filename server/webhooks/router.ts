/**
 * POST /webhooks/commet as Express middleware, mounted ahead of Remix (server/app-server.ts): a
 * machine-to-machine endpoint needs no HTML, session or route tree, and usage.recorded's volume makes
 * every millisecond per delivery count (docs/decisions/0011-webhook-intake.md).
 */
import type { Commet } from "@commet/node";
import express from "express";
import { webhookIntake, type WebhookDomain } from "./handlers.ts";
import { handleCommetWebhook } from "./intake.ts";
import { logger } from "../observability/index.ts";
import type { WebhookDatabase } from "./schema.ts";

/** Largest webhook body accepted (Commet's payloads are a few KB). */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

export interface CommetWebhookEndpointOptions {
  /** The console database (resolved per delivery: the endpoint may be mounted before migrations finish). */
  database: () => Promise<WebhookDatabase>;
  /** COMMET_WEBHOOK_SECRET. */
  secret: () => string | undefined;
  commet: () => Pick<Commet, "webhooks">;
  /** The domains whose handlers and observers apply the deliveries. */
  domains: readonly WebhookDomain[];
}

const jsonError = (res: express.Response, status: number, error: string, message: string) =>
  res.status(status).json({ ok: false, error, message });

/**
 * Reads the raw body (the signature covers its exact bytes; larger than MAX_WEBHOOK_BODY_BYTES → 413)
 * and the X-Commet-Signature header (the event id comes from the signed body only), and answers handleCommetWebhook's status and
 * JSON. Other methods → 405.
 */
export function commetWebhookRouter(path: string, options: CommetWebhookEndpointOptions): express.Router {
  const intake = webhookIntake(...options.domains);
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
          secret: options.secret(),
          commet: options.commet(),
          intake,
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
    logger("webhooks").error({ err: error }, "delivery failed");
    return jsonError(res, 500, "processing_failed", "The event could not be applied; Commet will retry it.");
  }) as express.ErrorRequestHandler);
  return router;
}
