/**
 * One sentence per timeline entry: what a Commet webhook says happened (from its documented payload),
 * and what a staff action did. Unknown or incomplete payloads still read as a sentence.
 */
import { formatMinor, formatRate } from "../../app/contracts/money.ts";
import { formatQuantity } from "../../app/contracts/format.ts";

type Data = Record<string, unknown>;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "31 Dec 2026" (UTC), or null when the value is not a date. */
export function dayLabel(value: unknown): string | null {
  if (typeof value !== "string" && typeof value !== "number") return null;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return null;
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

const str = (d: Data, key: string): string | null => {
  const v = d[key];
  return typeof v === "string" && v.trim() ? v.trim() : null;
};
const num = (d: Data, key: string): number | null => {
  const v = d[key];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
};
const planName = (d: Data, key: string): string | null => {
  const v = d[key];
  if (!v || typeof v !== "object") return null;
  const plan = v as Data;
  return str(plan, "name") ?? str(plan, "id");
};
/** Cents (minor unit) with the event's currency; USD when the event names none. */
const money = (d: Data, amountKey: string, currencyKey = "currency"): string | null => {
  const amount = num(d, amountKey);
  return amount === null ? null : formatMinor(amount, str(d, currencyKey) ?? "USD");
};
const invoice = (d: Data): string => {
  const n = str(d, "invoiceNumber") ?? str(d, "invoiceId");
  return n ? ` (invoice ${n})` : "";
};
const on = (d: Data, key: string, prefix = " on "): string => {
  const day = dayLabel(d[key]);
  return day ? `${prefix}${day}` : "";
};
const reason = (text: string | null): string => (text ? ` — ${text}` : "");
const failure = (d: Data): string => {
  const message = str(d, "failureMessage");
  const code = str(d, "failureCode");
  return message ? reason(message.replace(/\.$/, "")) : reason(code?.replace(/_/g, " ") ?? null);
};
const paymentOf = (amount: string | null) => (amount ? `Payment of ${amount}` : "Payment");

/** Each documented event type; `by` is " by <staff email>" when a console action caused it, else "". */
const EVENTS: Record<string, (d: Data, by: string) => string> = {
  "subscription.created": (d) => `Subscription created${str(d, "planName") ? ` on ${str(d, "planName")}` : ""}`,
  "subscription.activated": (d) =>
    `Subscription activated${money(d, "invoiceTotal", "invoiceCurrency") ? ` — first charge ${money(d, "invoiceTotal", "invoiceCurrency")}` : ""}${invoice(d)}`,
  "subscription.reactivated": (d, by) => `Subscription reactivated${by}${invoice(d)}`,
  "subscription.canceled": (d, by) =>
    `Subscription canceled${by}${on(d, "endDate", ", ended ")}${reason(str(d, "cancelReason") ? `reason: ${str(d, "cancelReason")}` : null)}`,
  "subscription.updated": (d) =>
    dayLabel(d.endDate) && str(d, "status") !== "canceled"
      ? `Subscription updated — set to end ${dayLabel(d.endDate)}`
      : `Subscription updated${str(d, "status") ? ` — status ${str(d, "status")}` : ""}`,
  "subscription.plan_changed": (d, by) => {
    const from = planName(d, "previousPlan");
    const to = planName(d, "currentPlan");
    const charged = money(d, "totalCharged");
    return `Plan changed${from ? ` from ${from}` : ""}${to ? ` to ${to}` : ""}${by}${charged ? ` — ${charged} charged` : ""}`;
  },
  "subscription.plan_change_scheduled": (d, by) =>
    `Plan change to ${planName(d, "scheduledPlan") ?? "another plan"} scheduled${on(d, "effectiveAt", " for ")}${by}`,
  "subscription.plan_change_revoked": (d, by) =>
    `Scheduled plan change${planName(d, "revokedPlan") ? ` to ${planName(d, "revokedPlan")}` : ""} revoked${by}`,
  "subscription.cancellation_scheduled": (d, by) =>
    `Cancellation scheduled${on(d, "effectiveAt", " for ")}${by}${reason(str(d, "cancelReason") ? `reason: ${str(d, "cancelReason")}` : null)}`,
  "subscription.cancellation_revoked": (_d, by) => `Scheduled cancellation revoked${by} — the subscription continues`,
  "subscription.past_due": (d) => `Subscription past due${invoice(d)}`,
  "trial.started": (d) =>
    `Trial started${str(d, "planName") ? ` on ${str(d, "planName")}` : ""}${on(d, "trialEndsAt", ", ends ")}`,
  "trial.converted": (d) => `Trial converted${str(d, "planName") ? ` to ${str(d, "planName")}` : ""}`,
  "trial.expired": () => "Trial expired",
  "trial.will_end": (d) => `Trial ends soon${on(d, "trialEndsAt", " — ")}`,
  "trial.checkout_ready": () => "Trial checkout link ready",
  "checkout.ready": (d) =>
    `Checkout ready${money(d, "invoiceTotal", "invoiceCurrency") ? ` for ${money(d, "invoiceTotal", "invoiceCurrency")}` : ""}${invoice(d)}`,
  "addon.activated": (d) => `Add-on ${planName(d, "addon") ?? ""} activated`.replace("  ", " "),
  "addon.deactivated": (d) => `Add-on ${planName(d, "addon") ?? ""} deactivated`.replace("  ", " "),
  "payment.received": (d) => `${paymentOf(money(d, "grossAmount") ?? money(d, "invoiceTotal"))} received${invoice(d)}`,
  "payment.failed": (d) =>
    `${paymentOf(money(d, "amount") ?? money(d, "invoiceTotal"))} failed${failure(d)}${invoice(d)}`,
  "payment.recovered": (d) => `${paymentOf(money(d, "invoiceTotal"))} recovered${invoice(d)}`,
  "payment.retry_failed": (d) =>
    `Payment retries exhausted${reason(str(d, "reason")?.replace(/_/g, " ") ?? null)}${invoice(d)}`,
  "payment.refunded": (d, by) => `${money(d, "refundAmount") ?? "A payment"} refunded${by}${invoice(d)}`,
  "payment.disputed": (d) =>
    `${paymentOf(money(d, "disputeAmount"))} disputed${reason(str(d, "disputeReason")?.replace(/_/g, " ") ?? null)}${invoice(d)}`,
  "payment.dispute_resolved": (d) =>
    `Dispute${money(d, "disputeAmount") ? ` of ${money(d, "disputeAmount")}` : ""} resolved${str(d, "outcome") ? ` — ${str(d, "outcome")}` : ""}`,
  "payment_link.created": (d) => `Payment link for ${money(d, "amount") ?? "a payment"} created`,
  "payment_link.completed": (d) => `Payment link paid — ${money(d, "amount") ?? "amount unknown"}${invoice(d)}`,
  "payment_link.failed": (d) => `Payment link payment of ${money(d, "amount") ?? "unknown amount"} failed${failure(d)}`,
  "payment_link.canceled": (d) => `Payment link for ${money(d, "amount") ?? "a payment"} canceled`,
  "payment_method.attached": (d) => `Payment method attached${card(d)}`,
  "payment_method.updated": (d) => `Payment method updated${card(d)}`,
  "invoice.created": (d) =>
    `Invoice ${str(d, "invoiceNumber") ?? str(d, "invoiceId") ?? ""} created${money(d, "total") ? ` for ${money(d, "total")}` : ""}${on(d, "dueDate", ", due ")}`.replace(
      "  ",
      " ",
    ),
  "invoice.voided": (d) => `Invoice ${str(d, "invoiceNumber") ?? ""} voided`.replace("  ", " "),
  "invoice.overdue": (d) =>
    `Invoice ${str(d, "invoiceNumber") ?? ""} overdue${money(d, "total") ? ` — ${money(d, "total")}` : ""}${on(d, "dueDate", ", was due ")}`.replace(
      "  ",
      " ",
    ),
  "invoice.upcoming": (d) => `Renewal coming up${on(d, "currentPeriodEnd")}`,
  "customer.created": (d) => `Customer created${str(d, "email") ? ` (${str(d, "email")})` : ""}`,
  "customer.updated": (d) =>
    `Customer details updated${str(d, "fullName") || str(d, "email") ? ` — now ${[str(d, "fullName"), str(d, "email")].filter(Boolean).join(", ")}` : ""}`,
  "customer.state_changed": (d) =>
    `Account state: ${str(d, "status") ?? "changed"}${planName(d, "plan") ? ` on ${planName(d, "plan")}` : ""}${str(d, "trigger") ? ` (${str(d, "trigger")!.replace(/_/g, " ")})` : ""}`,
  "credits.granted": (d) => `${formatQuantity(num(d, "credits") ?? 0)} credits granted`,
  "credits.purchased": (d) => `${formatQuantity(num(d, "credits") ?? 0)} credits purchased${invoice(d)}`,
  "credits.low": (d) => `Credits low — ${formatQuantity(num(d, "remainingCredits") ?? 0)} left`,
  "credits.depleted": () => "Credits used up",
  "credits.expired": (d) => `${formatQuantity(num(d, "expiredCredits") ?? 0)} unused credits expired`,
  "balance.topped_up": (d) =>
    `Balance topped up${num(d, "amount") !== null ? ` by ${formatRate(num(d, "amount")!, str(d, "currency") ?? "USD")}` : ""}`,
  "balance.low": (d) =>
    `Balance low${num(d, "currentBalance") !== null ? ` — ${formatRate(num(d, "currentBalance")!, str(d, "currency") ?? "USD")} left` : ""}`,
  "balance.depleted": () => "Balance used up",
  "quota.threshold_reached": (d) =>
    `${str(d, "featureCode") ?? "Usage"} reached ${formatQuantity(num(d, "currentUsage") ?? 0)} of ${formatQuantity(num(d, "includedAmount") ?? 0)} included`,
  "quota.exceeded": (d) =>
    `${str(d, "featureCode") ?? "Usage"} over its included ${formatQuantity(num(d, "includedAmount") ?? 0)}${d.overageEnabled === false ? " — hard limit hit" : " — overage billing began"}`,
  "seats.updated": (d, by) =>
    `Seats of ${str(d, "featureCode") ?? "a feature"} ${num(d, "previousSeats") !== null ? `changed from ${num(d, "previousSeats")} ` : "set "}to ${num(d, "currentSeats") ?? "?"}${by}`,
  "seats.limit_reached": (d) =>
    `Seat limit of ${str(d, "featureCode") ?? "a feature"} reached — ${num(d, "currentSeats") ?? "?"} of ${num(d, "includedSeats") ?? "?"} included`,
};

function card(d: Data): string {
  const c = d.card;
  if (!c || typeof c !== "object") return "";
  const brand = str(c as Data, "brand");
  const last4 = str(c as Data, "last4");
  return brand || last4 ? ` — ${brand ?? "card"}${last4 ? ` ending ${last4}` : ""}` : "";
}

/**
 * "Payment for invoice INV-0043 failed — Your card was declined"; `by`: the staff member whose console
 * action caused the event, named where the sentence has room for it.
 */
export function describeEvent(type: string, data: Data, by?: string | null): string {
  const describe = EVENTS[type];
  if (describe) {
    try {
      return describe(data, by ? ` by ${by}` : "");
    } catch {
      // A payload that breaks its own documentation still gets a line.
    }
  }
  return `Commet sent ${type}`;
}

/** What each staff action is called in the timeline; others are named after the action. */
const ACTIONS: Record<string, string> = {
  "seats.change": "Seats changed",
  "seats.update": "Seats changed",
  "usage.record": "Usage recorded by hand",
  "usage.set": "Usage total corrected",
  "portal.issue": "Customer portal link issued",
  "subscriptions.cancel": "Cancellation requested",
  "subscriptions.uncancel": "Scheduled cancellation reverted",
  "subscriptions.change_plan": "Plan change requested",
  "payments.retry": "Payment retry requested",
  "payments.refund": "Refund requested",
  "invoices.send": "Invoice sent to the customer",
  "invoices.download": "Invoice PDF downloaded",
};

/** "subscriptions.change_plan" → "Subscriptions: change plan". */
function actionLabel(action: string): string {
  const known = ACTIONS[action];
  if (known) return known;
  const [domain, ...rest] = action.split(".");
  const what = rest.join(" ").replace(/_/g, " ");
  const head = (domain ?? action).replace(/_/g, " ");
  return `${head.charAt(0).toUpperCase()}${head.slice(1)}${what ? `: ${what}` : ""}`;
}

/** A staff action's details worth a glance: the call and its figures, or the reason given. */
function actionDetails(params: Record<string, unknown>): string {
  const request = params.request as { call?: unknown; params?: Record<string, unknown> } | undefined;
  const parts: string[] = [];
  const p = request?.params;
  if (p && typeof p === "object") {
    const feature = p.featureCode ?? p.feature;
    const value = p.count ?? p.value;
    if (typeof request?.call === "string" && typeof feature === "string" && typeof value === "number") {
      parts.push(`${request.call.split(".").pop()} ${feature} ${formatQuantity(value)}`);
    }
  }
  const why = params.reason ?? (params.form as Record<string, unknown> | undefined)?.reason;
  if (typeof why === "string" && why.trim()) parts.push(`reason: ${why.trim().slice(0, 120)}`);
  return parts.length ? ` (${parts.join("; ")})` : "";
}

/** "Seats changed by ops@demo.local (set seats 5) — failed: seats_exceeded". */
export function describeAction(entry: {
  action: string;
  actorEmail: string;
  status: string;
  errorCode: string | null;
  params: Record<string, unknown>;
}): string {
  const outcome =
    entry.status === "failed"
      ? ` — failed${entry.errorCode ? `: ${entry.errorCode}` : ""}`
      : entry.status === "pending"
        ? " — outcome unknown"
        : "";
  return `${actionLabel(entry.action)} by ${entry.actorEmail}${actionDetails(entry.params)}${outcome}`;
}
