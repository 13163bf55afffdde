// The customer page's Subscription panel: plan, status, current period, discount.

import type { PanelResult, SubscriptionView } from "~/contracts/customer-view";
import { formatCount, formatDate, formatInterval } from "~/contracts/format";
import { formatRate } from "~/contracts/money";
import { StatusBadge } from "../status-badge";
import { Fact, Panel } from "./panel";

function discountText(d: NonNullable<SubscriptionView["discount"]>): string {
  // Commet does not say which unit a fixed-amount discount uses in 7.10.0: shown as sent.
  const value = d.type === "percentage" ? `${d.value}% off` : `${formatCount(d.value)} off (fixed amount)`;
  return `${d.name ? `${d.name}: ` : ""}${value}${d.endsAt ? ` until ${formatDate(d.endsAt)}` : ""}`;
}

function PeriodBar({ period }: { period: NonNullable<SubscriptionView["currentPeriod"]> }) {
  const total = Math.max(1, Math.round((Date.parse(period.end) - Date.parse(period.start)) / 86_400_000));
  const left = Math.min(total, Math.max(0, period.daysRemaining));
  return (
    <span className="period">
      <time dateTime={period.start}>{formatDate(period.start)}</time> →{" "}
      <time dateTime={period.end}>{formatDate(period.end)}</time>
      <span className="period__left" data-testid="days-left">
        {" "}
        · {left} {left === 1 ? "day" : "days"} left
      </span>
      <progress className="meter" max={total} value={total - left} aria-label="Billing period elapsed" />
    </span>
  );
}

/** The active subscription: status, plan, interval, period, trial, scheduled changes, billing. */
export function SubscriptionPanel({ resolve }: { resolve: Promise<PanelResult<SubscriptionView | null>> }) {
  return (
    <Panel title="Subscription" name="subscription" resolve={resolve} skeletonRows={5}>
      {(s) =>
        s ? (
          <dl className="facts">
            <Fact label="Status">
              <StatusBadge status={s.status} />
            </Fact>
            <Fact label="Plan">
              <strong data-testid="plan-name">{s.planName}</strong>
              {s.name && s.name !== s.planName ? <span className="muted"> · {s.name}</span> : null}
            </Fact>
            <Fact label="Interval">{s.billingInterval ? `Every ${formatInterval(s.billingInterval)}` : "—"}</Fact>
            <Fact label="Current period">{s.currentPeriod ? <PeriodBar period={s.currentPeriod} /> : "—"}</Fact>
            <Fact label="Trial ends">
              {s.trialEndsAt ? <time dateTime={s.trialEndsAt}>{formatDate(s.trialEndsAt)}</time> : null}
            </Fact>
            <Fact label="Cancellation">
              {s.cancellation ? (
                <span className="warn-text">
                  Cancels on <time dateTime={s.cancellation.effectiveAt}>{formatDate(s.cancellation.effectiveAt)}</time>
                  {s.cancellation.reason ? ` (${s.cancellation.reason})` : ""}
                </span>
              ) : s.cancelAtPeriodEnd ? (
                <span className="warn-text">Cancels at the end of the period</span>
              ) : null}
            </Fact>
            <Fact label="Scheduled change">
              {s.scheduledPlanChange ? (
                <span>
                  {s.scheduledPlanChange.changeType === "interval_change"
                    ? `Interval → ${formatInterval(s.scheduledPlanChange.newBillingInterval ?? "?")}`
                    : `Plan → ${s.scheduledPlanChange.newPlanName ?? "another plan"}`}{" "}
                  on{" "}
                  <time dateTime={s.scheduledPlanChange.scheduledFor}>
                    {formatDate(s.scheduledPlanChange.scheduledFor)}
                  </time>
                </span>
              ) : null}
            </Fact>
            <Fact label="Next billing">
              {s.nextBillingDate ? <time dateTime={s.nextBillingDate}>{formatDate(s.nextBillingDate)}</time> : "—"}
            </Fact>
            <Fact label="Discount">{s.discount ? discountText(s.discount) : "None"}</Fact>
            <Fact label="Started">
              <time dateTime={s.startDate}>{formatDate(s.startDate)}</time>
            </Fact>
            <Fact label="Subscription ID">
              <code>{s.id}</code>
            </Fact>
          </dl>
        ) : (
          <p className="empty-state empty-state--inline">No active subscription.</p>
        )
      }
    </Panel>
  );
}

/** Credits and balance of the active subscription (from the same Commet call). */
export function CreditsPanel({ resolve }: { resolve: Promise<PanelResult<SubscriptionView | null>> }) {
  return (
    <Panel title="Credits & balance" name="credits" resolve={resolve} skeletonRows={2}>
      {(s) =>
        s && (s.credits || s.balance) ? (
          <dl className="facts">
            {s.credits ? (
              <Fact label="Credits">
                <strong>{formatCount(s.credits.remaining)}</strong> remaining
                <span className="muted">
                  {" "}
                  · {formatCount(s.credits.included)} included, {formatCount(s.credits.purchased)} purchased
                </span>
              </Fact>
            ) : null}
            {s.balance ? (
              <Fact label="Balance">
                <strong>{formatRate(s.balance.remaining, s.balance.currency)}</strong> remaining
                <span className="muted">
                  {" "}
                  · {formatRate(s.balance.included, s.balance.currency)} included per period
                </span>
              </Fact>
            ) : null}
          </dl>
        ) : (
          <p className="muted">{s ? "This plan has no credits or prepaid balance." : "No active subscription."}</p>
        )
      }
    </Panel>
  );
}

/** Every subscription the customer has had, newest first. */
export function HistoryPanel({ resolve }: { resolve: Promise<PanelResult<SubscriptionView[]>> }) {
  return (
    <Panel title="Subscription history" name="history" resolve={resolve} skeletonRows={2}>
      {(list) =>
        list.length > 0 ? (
          <table className="mini-table">
            <caption className="visually-hidden">Subscriptions of this customer</caption>
            <thead>
              <tr>
                <th scope="col">Plan</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col">Ended</th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => (
                <tr key={s.id}>
                  <th scope="row">{s.planName}</th>
                  <td>
                    <StatusBadge status={s.status} />
                  </td>
                  <td>{formatDate(s.startDate)}</td>
                  <td>{s.endDate ? formatDate(s.endDate) : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted">No subscriptions.</p>
        )
      }
    </Panel>
  );
}
