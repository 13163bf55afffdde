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
import { loadCustomerView, PANEL_READ_TIMEOUT_MS, settleWithin, toPanel } from "./index.ts";
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

export async function loadCustomerPage(
  customerRef: string,
  role: Role,
  options: { activityKind?: ActivityKind | undefined; staffId?: string | null } = {},
) {
  const panels = loadCustomerView(customerRef);
  // From the console's own database (webhooks and audit trail): streams beside the Commet panels.
  const activity = loadCustomerActivity(customerRef, role, { kind: options.activityKind }).then(
    (data): PanelResult<ActivityPage> => ({ ok: true, data }),
    (error: unknown): PanelResult<ActivityPage> => {
      logger("customer-view").error({ err: error, panel: "activity" }, "panel failed");
      return { ok: false, problem: ACTIVITY_PROBLEM };
    },
  );
  const profile = await settleWithin(panels.profile, PROFILE_WAIT_MS);
  if (profile && !profile.ok && profile.problem.kind === "not_found") {
    const notFound: Problem = {
      ...profile.problem,
      title: "No such customer",
      message: `Commet has no customer “${customerRef}”.`,
    };
    return { notFound, page: null };
  }
  return {
    notFound: null,
    page: {
      customerRef,
      canIssuePortal: can(role, "portal:issue"),
      canSendInvoices: can(role, "invoices:send"),
      // The server's clock, for what depends on it (an invoice past its due date is overdue).
      now: Date.now(),
      canReadAudit: can(role, "audit:read"),
      ...panels,
      // Writes on this customer Commet has not confirmed yet ("awaiting confirmation"; server/writes resolver).
      unsettledWrites: formPanel(customerUnsettledWrites(customerRef, options.staffId ?? null), "unsettled-writes"),
      activity,
      // Estimated from the plan's pricing and Commet's live counters (server/billing/estimate.ts).
      projectedInvoice: toPanel(loadProjectedInvoice(customerRef, reads), "projected-invoice"),
      activityKind: options.activityKind ?? null,
      // Each form's idempotency key is made here, when the form is rendered (same on the server render and in the browser).
      seatForm: can(role, "seats:write")
        ? {
            resolve: formPanel(loadSeatPanel(customerRef, undefined, reads), "seat-form"),
            key: newIdempotencyKey("seats"),
          }
        : null,
      subscriptionActions: subscriptionActionsFor(customerRef, role),
      payments: {
        resolve: toPanel(loadPaymentsPanel(customerRef, reads), "payments"),
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
            resolve: formPanel(loadUsagePanel(customerRef, undefined, reads), "usage-form"),
            keys: { record: newIdempotencyKey("usage"), set: newIdempotencyKey("usage-set") },
          }
        : null,
    },
  };
}

/** The Subscription actions panel for a role that may take at least one of them (null otherwise). */
function subscriptionActionsFor(customerRef: string, role: Role) {
  const may = {
    cancel: can(role, "subscriptions:cancel"),
    cancelNow: can(role, "subscriptions:cancel-now"),
    changePlan: can(role, "subscriptions:change-plan"),
  };
  if (!may.cancel && !may.cancelNow && !may.changePlan) return null;
  return {
    resolve: formPanel(loadSubscriptionActions(customerRef, undefined, reads), "subscription-actions"),
    may,
    keys: {
      cancel: newIdempotencyKey("cancel"),
      uncancel: newIdempotencyKey("uncancel"),
      cancelNow: newIdempotencyKey("cancel-now"),
      plan: newIdempotencyKey("plan"),
    },
  };
}
