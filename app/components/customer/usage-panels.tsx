// The customer page's Features & usage panel: each feature's allowance and consumption, with usage meters.

import type { ReactNode } from "react";
import type { FeatureView, PanelResult, QuotaView, SeatView } from "~/contracts/customer-view";
import { formatCount, formatDate } from "~/contracts/format";
import { formatRate } from "~/contracts/money";
import { Panel } from "./panel";

const typeLabels: Record<string, string> = { boolean: "Access", usage: "Usage", seats: "Seats", quota: "Quota" };

/** current of included as a bar; over 100 % shows the overage part in another colour. */
export function UsageMeter({ current, included, label }: { current: number; included: number; label: string }) {
  if (included <= 0) return null;
  const ratio = current / included;
  const tone = ratio > 1 ? "over" : ratio >= 0.8 ? "near" : "ok";
  return (
    <meter
      className={`usage-meter usage-meter--${tone}`}
      min={0}
      max={included}
      low={included * 0.8}
      high={included}
      optimum={0}
      value={Math.min(current, included)}
      aria-label={label}
      title={`${formatCount(current)} of ${formatCount(included)} (${Math.round(ratio * 100)} %)`}
    />
  );
}

function amount(f: FeatureView): ReactNode {
  if (f.type === "boolean") return (f.enabled ?? f.allowed) ? "Enabled" : "Disabled";
  const current = f.current ?? 0;
  if (f.unlimited) return `${formatCount(current)} · unlimited`;
  if (f.included === null) return formatCount(current);
  return (
    <>
      <span data-testid="feature-usage">
        {formatCount(current)} / {formatCount(f.included)}
      </span>
      <UsageMeter
        current={current}
        included={f.included}
        label={`${f.name}: ${formatCount(current)} of ${formatCount(f.included)}`}
      />
    </>
  );
}

function overage(f: FeatureView): ReactNode {
  if (f.type === "boolean" || f.unlimited) return "—";
  const qty = f.overageQuantity ?? 0;
  const price = f.overageUnitPrice !== null ? ` × ${formatRate(f.overageUnitPrice, "USD")}` : "";
  if (qty > 0) return <span className="warn-text">{`${formatCount(qty)} over${price}`}</span>;
  return f.overageEnabled ? (
    <span className="muted">allowed{price}</span>
  ) : (
    <span className="muted">blocked at limit</span>
  );
}

/**
 * Feature access of the active subscription: current vs included, overage, a bar per metered
 * feature. `footer` hosts a usage form (issue 6) below the table.
 */
export function FeaturesPanel({
  resolve,
  footer,
}: {
  resolve: Promise<PanelResult<FeatureView[]>>;
  footer?: (features: FeatureView[]) => ReactNode;
}) {
  return (
    <Panel title="Features & usage" name="features" resolve={resolve} skeletonRows={4} className="panel--wide">
      {(features) => (
        <>
          {features.length > 0 ? (
            <table className="mini-table usage-table">
              <caption className="visually-hidden">Features, current versus included</caption>
              <thead>
                <tr>
                  <th scope="col">Feature</th>
                  <th scope="col">Type</th>
                  <th scope="col">Current / included</th>
                  <th scope="col">Overage</th>
                </tr>
              </thead>
              <tbody>
                {features.map((f) => (
                  <tr key={f.code} data-feature={f.code}>
                    <th scope="row">
                      {f.name} <code className="muted">{f.code}</code>
                    </th>
                    <td>{typeLabels[f.type] ?? f.type}</td>
                    <td className="usage-cell">{amount(f)}</td>
                    <td>{overage(f)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">No features: the customer has no active subscription.</p>
          )}
          {footer?.(features)}
        </>
      )}
    </Panel>
  );
}

/** Seat balances per seat type. `footer` hosts the seat change form (issue 6). */
export function SeatsPanel({
  resolve,
  footer,
}: {
  resolve: Promise<PanelResult<SeatView[]>>;
  footer?: (seats: SeatView[]) => ReactNode;
}) {
  return (
    <Panel title="Seats" name="seats" resolve={resolve} skeletonRows={2}>
      {(seats) => (
        <>
          {seats.length > 0 ? (
            <ul className="stat-list">
              {seats.map((s) => (
                <li key={s.featureCode} data-seat={s.featureCode}>
                  <span className="stat-list__label">{s.featureCode}</span>
                  <strong className="stat-list__value" data-testid={`seats-${s.featureCode}`}>
                    {formatCount(s.current)}
                  </strong>
                  <span className="muted">as of {formatDate(s.asOf)}</span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">No seat types on this customer&rsquo;s plan.</p>
          )}
          {footer?.(seats)}
        </>
      )}
    </Panel>
  );
}

/** Quota allowances (used vs included) per quota feature. */
export function QuotaPanel({ resolve }: { resolve: Promise<PanelResult<QuotaView[]>> }) {
  return (
    <Panel title="Quota" name="quota" resolve={resolve} skeletonRows={2}>
      {(quota) =>
        quota.length > 0 ? (
          <ul className="stat-list">
            {quota.map((q) => (
              <li key={q.featureCode} data-quota={q.featureCode}>
                <span className="stat-list__label">{q.featureCode}</span>
                <strong className="stat-list__value">
                  {formatCount(q.current)}
                  {q.unlimited ? " · unlimited" : ` / ${formatCount(q.included)}`}
                </strong>
                {q.unlimited ? null : (
                  <UsageMeter current={q.current} included={q.included} label={`${q.featureCode} quota used`} />
                )}
                {q.billedQuantity > 0 ? (
                  <span className="warn-text">{formatCount(q.billedQuantity)} billed over</span>
                ) : null}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">No quota features on this customer&rsquo;s plan.</p>
        )
      }
    </Panel>
  );
}
