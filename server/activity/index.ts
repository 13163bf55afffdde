/**
 * server/activity — account activity: every Commet webhook about a customer stored with its payload
 * (migration 0006, written by an observer of the webhook intake), and the customer's timeline of those
 * events interleaved with the staff actions of the audit trail (docs/decisions/0015-account-activity.md).
 *
 *   activityWebhooks — the intake observer (wired in server/app-server.ts).
 *   loadCustomerActivity(customerRef, role, { kind?, cursor? }) → ActivityPage (throws InvalidActivityCursorError)
 *   customerActivityAnswer(customerRef, role, query) → { status, body: ActivityAnswer } for the resource route.
 *   startAccountEventPruner(database, { retentionDays }) → stop()
 */
import {
  ACTIVITY_PAGE_SIZE,
  type ActivityAnswer,
  type ActivityKind,
  type ActivityQuery,
} from "../../app/contracts/activity.ts";
import type { Role } from "../../app/contracts/permissions.ts";
import { listAuditRows } from "../audit/index.ts";
import { getReadyDb } from "../db/index.ts";
import { customerTimeline, InvalidActivityCursorError } from "./timeline.ts";

export { activityWebhooks } from "./webhooks.ts";
export { startAccountEventPruner, type AccountEventPrunerOptions } from "./retention.ts";
export { customerTimeline, InvalidActivityCursorError, type ActivitySources, type TimelineInput } from "./timeline.ts";
export {
  listAccountEvents,
  listEventsOfTypes,
  listSubscriptionMovements,
  pruneAccountEvents,
  recordAccountEvent,
  SUBSCRIPTION_LIFECYCLE_TYPES,
  type AccountEvent,
  type SubscriptionMovement,
} from "./store.ts";
import { logger } from "../observability/index.ts";
export { EVENT_KINDS, customerKeyOf, kindOfEvent } from "./catalogue.ts";
export { describeAction, describeEvent } from "./describe.ts";

/** One page of the customer's activity from the console's database and audit trail. */
export async function loadCustomerActivity(
  customerRef: string,
  role: Role,
  options: { kind?: ActivityKind | undefined; cursor?: string | undefined } = {},
) {
  return customerTimeline(
    { database: await getReadyDb(), audit: { rows: listAuditRows } },
    { customerRef, role, kind: options.kind, cursor: options.cursor, pageSize: ACTIVITY_PAGE_SIZE },
  );
}

/**
 * The resource route's answer: 200 with the page, 400 for a cursor this console did not hand out, 500 with
 * a message the panel shows for anything else (thrown, it would replace the whole customer page).
 */
export async function customerActivityAnswer(
  customerRef: string,
  role: Role,
  query: ActivityQuery,
): Promise<{ status: 200 | 400 | 500; body: ActivityAnswer }> {
  try {
    return { status: 200, body: { ok: true, ...(await loadCustomerActivity(customerRef, role, query)) } };
  } catch (error) {
    if (error instanceof InvalidActivityCursorError)
      return { status: 400, body: { ok: false, message: error.message } };
    logger("activity").error({ err: error }, "timeline failed");
    const message = "The activity could not be read from the console's database. Try again in a moment.";
    return { status: 500, body: { ok: false, message } };
  }
}
