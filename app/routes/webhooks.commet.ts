import type { ActionFunctionArgs } from "@remix-run/node";
import { getCommet } from "../../server/commet/client.ts";
import { getReadyDb } from "../../server/db/index.ts";
import { commetWebhookResponse, directoryWebhookHandlers } from "../../server/directory/index.ts";
import { getEnv } from "../../server/env.ts";
import { usageWebhookHandlers } from "../../server/usage/timeline/index.ts";

/**
 * POST /webhooks/commet — Commet's webhook deliveries (public: no session, no CSRF; the
 * X-Commet-Signature HMAC of the raw body, checked by the SDK with COMMET_WEBHOOK_SECRET, is the
 * authentication). Deduplicated by event id; bad or unsigned payloads → 400/401 and nothing stored.
 */
const handlers = { ...directoryWebhookHandlers, ...usageWebhookHandlers };

export async function action({ request }: ActionFunctionArgs) {
  const database = await getReadyDb();
  return commetWebhookResponse(database, request, {
    secret: getEnv().COMMET_WEBHOOK_SECRET,
    commet: getCommet(),
    handlers,
  });
}
