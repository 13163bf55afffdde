/**
 * What a closed period's invoice does not say about the period itself, from the stored subscription webhooks
 * (account_events): whether it was a trial (trial.converted at its close) and which plan was in force during it
 * (a subscription.plan_changed at its close names the previous plan; the invoice names the new one).
 */
import type { Invoice } from "@commet/node";
import { listEventsOfTypes, type AccountEvent } from "../../activity/index.ts";
import type { TimelineDatabase } from "./schema.ts";

const DAY = 86_400_000;
/** Events read for one report (trials and plan changes at period ends are a small share of all webhooks). */
const EVENT_LIMIT = 50_000;

export interface PeriodContext {
  /** The period was a trial: Commet blocks usage at the included amount and bills no overage for it. */
  trial: boolean;
  /** The plan in force during the period when a change took effect at its end; null: the invoice's plan. */
  planId: string | null;
}

const str = (v: unknown) => (typeof v === "string" && v ? v : null);
const planRefId = (v: unknown) => (v && typeof v === "object" ? str((v as { id?: unknown }).id) : null);

/**
 * Pure: each invoice's context from the events. An event belongs to an invoice's period close when it names the
 * invoice's subscription and occurred between the period end and a day after the invoice was issued (Commet's
 * billing run closes the period, issues the invoice and sends the webhook together).
 */
export function contextsFromEvents(
  invoices: ReadonlyArray<Pick<Invoice, "id" | "subscriptionId" | "periodEnd" | "issueDate">>,
  events: ReadonlyArray<Pick<AccountEvent, "type" | "occurredAt" | "payload">>,
): Map<string, PeriodContext> {
  const bySubscription = new Map<string, Array<Pick<AccountEvent, "type" | "occurredAt" | "payload">>>();
  for (const e of events) {
    const sub = str(e.payload.subscriptionId);
    if (sub) bySubscription.set(sub, [...(bySubscription.get(sub) ?? []), e]);
  }
  const out = new Map<string, PeriodContext>();
  for (const i of invoices) {
    const from = Date.parse(i.periodEnd);
    const to = Math.max(Date.parse(i.issueDate), from) + DAY;
    const atClose = (i.subscriptionId ? (bySubscription.get(i.subscriptionId) ?? []) : [])
      .filter((e) => e.occurredAt >= from && e.occurredAt < to)
      .sort((a, b) => a.occurredAt - b.occurredAt);
    const change = atClose.find((e) => e.type === "subscription.plan_changed");
    out.set(i.id, {
      trial: atClose.some((e) => e.type === "trial.converted"),
      planId: change ? planRefId(change.payload.previousPlan) : null,
    });
  }
  return out;
}

/** The contexts of a report's invoices: one bounded read of the two event types over the invoices' closing window. */
export async function periodContexts(
  database: TimelineDatabase,
  invoices: ReadonlyArray<Pick<Invoice, "id" | "subscriptionId" | "periodEnd" | "issueDate">>,
): Promise<Map<string, PeriodContext>> {
  if (invoices.length === 0) return new Map();
  const from = Math.min(...invoices.map((i) => Date.parse(i.periodEnd)));
  const to = Math.max(...invoices.map((i) => Math.max(Date.parse(i.issueDate), Date.parse(i.periodEnd)))) + DAY;
  const events = await listEventsOfTypes(database, {
    types: ["trial.converted", "subscription.plan_changed"],
    from,
    to,
    limit: EVENT_LIMIT,
  });
  return contextsFromEvents(invoices, events);
}
