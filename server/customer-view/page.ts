/**
 * The customer page in one call: every panel's promise (server/customer-view), the write forms the role
 * may use, and a 404 answer for a customer Commet does not know.
 */
import type { ActivityKind, ActivityPage } from "../../app/contracts/activity.ts";
import type { PanelResult } from "../../app/contracts/customer-view.ts";
import { newIdempotencyKey } from "../../app/contracts/ops-forms.ts";
import { can, type Role } from "../../app/contracts/permissions.ts";
import type { Problem } from "../../app/contracts/problem.ts";
import { loadCustomerActivity } from "../activity/index.ts";
import { loadProjectedInvoice } from "../billing/index.ts";
import { loadPaymentsPanel } from "../payments/index.ts";
import { loadSeatPanel } from "../seats/index.ts";
import { loadSubscriptionActions } from "../subscriptions/index.ts";
import { loadUsagePanel } from "../usage/index.ts";
import { customerUnsettledWrites } from "../writes/index.ts";
import { getReadyDb } from "../db/index.ts";
import { getIndexedCustomer } from "../directory/index.ts";
import { loadCustomerView, PANEL_READ_TIMEOUT_MS, settleWithin, toPanel, type KnownCustomer } from "./index.ts";
import { logger } from "../observability/index.ts";

/** How long the page waits for the profile before streaming: long enough to answer 404 for a wrong id. */
const PROFILE_WAIT_MS = 1_500;

/** The forms read with the panels' timeout: the same reads (active subscription, customer…) then share one call. */
const reads = { timeoutMs: PANEL_READ_TIMEOUT_MS };

const ACTIVITY_PROBLEM: Problem = {
  kind: "unavailable",
  title: "Activity could not load",
  message: "The console could not read this customer's activity from its database. Try again in a moment.",
  retryable: true,
};

/**
 * A write form's data as a never-rejecting panel promise, within the panels' deadline: the page's stream
 * closes after Remix's stream timeout, and a form still waiting then would show its skeleton for good.
 */
const formPanel = <T>(promise: Promise<T>, name: string): Promise<PanelResult<T>> => toPanel(promise, name);

/**
 * How long panels that have their data wait for the others, so that they stream in together. Every promise
 * that settles on its own is a render pass of React, a turbo-stream chunk and a compressor flush: held, the
 * page's ~15 panels go out in one or two. A panel still waiting after this goes out on its own when it settles.
 */
export const STREAM_TOGETHER_MS = 250;

/**
 * Promises held until all of them have settled, or `ms` after `release()`, whichever is first. `hold` every
 * promise, then `release()`. The promises must never reject (panel promises don't).
 */
export function streamTogether(ms: number) {
  const held: Promise<unknown>[] = [];
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => (open = resolve));
  return {
    hold<T>(promise: Promise<T>): Promise<T> {
      held.push(promise);
      return promise.then((value) => gate.then(() => value));
    },
    release() {
      const timer = setTimeout(open, ms);
      void Promise.allSettled(held).then(() => {
        clearTimeout(timer);
        open();
      });
    },
  };
}

export async function loadCustomerPage(
  customerRef: string,
  role: Role,
  options: {
    activityKind?: ActivityKind | undefined;
    staffId?: string | null;
    /** The customer as the directory index knows it (default: looked up there; null: unknown to it). */
    known?: KnownCustomer | null;
  } = {},
) {
  const known = options.known === undefined ? await indexedCustomer(customerRef) : options.known;
  const panels = loadCustomerView(customerRef, { known });
  // From the console's own database (webhooks and audit trail): streams beside the Commet panels.
  const activity = loadCustomerActivity(customerRef, role, { kind: options.activityKind }).then(
    (data): PanelResult<ActivityPage> => ({ ok: true, data }),
    (error: unknown): PanelResult<ActivityPage> => {
      logger("customer-view").error({ err: error, panel: "activity" }, "panel failed");
      return { ok: false, problem: ACTIVITY_PROBLEM };
    },
  );
  // A customer the index knows is one Commet knows (one it has deleted since shows "not found" in the profile
  // panel): the page streams without waiting for the profile. Any other is waited for, to answer 404.
  const profile = known ? undefined : await settleWithin(panels.profile, PROFILE_WAIT_MS);
  if (profile && !profile.ok && profile.problem.kind === "not_found") {
    const notFound: Problem = {
      ...profile.problem,
      title: "No such customer",
      message: `Commet has no customer “${customerRef}”.`,
    };
    return { notFound, page: null };
  }
  const together = streamTogether(STREAM_TOGETHER_MS);
  const hold = together.hold;
  const held = Object.fromEntries(
    Object.entries(panels).map(([name, promise]) => [name, hold(promise)]),
  ) as unknown as typeof panels;
  const page = {
    customerRef,
    canIssuePortal: can(role, "portal:issue"),
    canSendInvoices: can(role, "invoices:send"),
    // The server's clock, for what depends on it (an invoice past its due date is overdue).
    now: Date.now(),
    canReadAudit: can(role, "audit:read"),
    ...held,
    // Writes on this customer Commet has not confirmed yet ("awaiting confirmation"; server/writes resolver).
    unsettledWrites: hold(formPanel(customerUnsettledWrites(customerRef, options.staffId ?? null), "unsettled-writes")),
    activity: hold(activity),
    // Estimated from the plan's pricing and Commet's live counters (server/billing/estimate.ts).
    projectedInvoice: hold(toPanel(loadProjectedInvoice(customerRef, reads), "projected-invoice")),
    activityKind: options.activityKind ?? null,
    // Each form's idempotency key is made here, when the form is rendered (same on the server render and in the browser).
    seatForm: can(role, "seats:write")
      ? {
          resolve: hold(formPanel(loadSeatPanel(customerRef, undefined, reads), "seat-form")),
          key: newIdempotencyKey("seats"),
        }
      : null,
    subscriptionActions: subscriptionActionsFor(customerRef, role, hold),
    payments: {
      resolve: hold(toPanel(loadPaymentsPanel(customerRef, { ...reads, known }), "payments")),
      // Each action's form is offered to the roles that may use it; the server checks again.
      can: {
        retry: can(role, "payments:retry"),
        refund: can(role, "payments:refund"),
        recovery: can(role, "recovery:issue"),
      },
      keys: {
        retry: newIdempotencyKey("retry"),
        refund: newIdempotencyKey("refund"),
        recovery: newIdempotencyKey("recovery"),
      },
    },
    usageForm: can(role, "usage:write")
      ? {
          resolve: hold(formPanel(loadUsagePanel(customerRef, undefined, reads), "usage-form")),
          keys: { record: newIdempotencyKey("usage"), set: newIdempotencyKey("usage-set") },
        }
      : null,
  };
  together.release();
  return { notFound: null, page };
}

/** The customer's id and email in the directory index, by Commet id or externalId (null when it is not there). */
async function indexedCustomer(customerRef: string): Promise<KnownCustomer | null> {
  const row = await getIndexedCustomer(await getReadyDb(), customerRef);
  return row ? { id: row.id, email: row.email } : null;
}

/** The Subscription actions panel for a role that may take at least one of them (null otherwise). */
function subscriptionActionsFor(customerRef: string, role: Role, hold: <T>(promise: Promise<T>) => Promise<T>) {
  const may = {
    cancel: can(role, "subscriptions:cancel"),
    cancelNow: can(role, "subscriptions:cancel-now"),
    changePlan: can(role, "subscriptions:change-plan"),
  };
  if (!may.cancel && !may.cancelNow && !may.changePlan) return null;
  return {
    resolve: hold(formPanel(loadSubscriptionActions(customerRef, undefined, reads), "subscription-actions")),
    may,
    keys: {
      cancel: newIdempotencyKey("cancel"),
      uncancel: newIdempotencyKey("uncancel"),
      cancelNow: newIdempotencyKey("cancel-now"),
      plan: newIdempotencyKey("plan"),
    },
  };
}
