// A plan's card: its price and each feature's included amount and overage rate.

import type { PlanFeatureView, PlanView } from "~/contracts/plans";
import { formatCount, formatInterval, formatQuantity } from "~/contracts/format";
import { formatRate } from "~/contracts/money";

function includedText(feature: PlanFeatureView): string {
  if (feature.type === "boolean") return feature.enabled ? "Yes" : "No";
  if (feature.unlimited) return "Unlimited";
  if (feature.included === null) return "—";
  return formatQuantity(feature.included, feature.unitName ?? (feature.type === "seats" ? "seat" : "unit"));
}

function extraText(feature: PlanFeatureView): string {
  if (feature.overageUnitPrice === null || feature.unlimited) return "—";
  const per = feature.type === "seats" ? "seat" : (feature.unitName ?? "unit");
  return `${formatRate(feature.overageUnitPrice)} / extra ${per}`;
}

const typeLabels: Record<string, string> = { boolean: "Access", usage: "Usage", seats: "Seats", quota: "Quota" };

export function PlanCard({ plan }: { plan: PlanView }) {
  const headingId = `plan-${plan.id}`;
  return (
    <article className="card plan-card" aria-labelledby={headingId} data-testid="plan-card">
      <header className="plan-card__header">
        <h3 id={headingId}>{plan.name}</h3>
        <code className="plan-card__code">{plan.code}</code>
        <span className="plan-card__badges">
          {plan.isDefault ? <span className="badge">Default</span> : null}
          {plan.isFree ? <span className="badge">Free</span> : null}
          {plan.isPublic ? null : <span className="badge badge--muted">Private</span>}
        </span>
      </header>
      {plan.description ? <p className="plan-card__description">{plan.description}</p> : null}
      {plan.prices.length > 0 ? (
        <ul className="plan-card__prices" aria-label={`${plan.name} prices`}>
          {plan.prices.map((price) => (
            <li key={price.interval} className={price.isDefault ? "is-default" : undefined}>
              <strong>{formatRate(price.price)}</strong>
              {price.interval === "one_time" ? " one-time" : ` / ${formatInterval(price.interval)}`}
              {price.trialDays > 0 ? <span className="muted"> · {price.trialDays}-day trial</span> : null}
              {price.includedCredits ? (
                <span className="muted"> · {formatCount(price.includedCredits)} credits included</span>
              ) : null}
              {price.includedBalance ? (
                <span className="muted"> · {formatRate(price.includedBalance)} balance included</span>
              ) : null}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No prices configured.</p>
      )}
      {plan.features.length > 0 ? (
        <table className="mini-table">
          <caption className="visually-hidden">Features of {plan.name}</caption>
          <thead>
            <tr>
              <th scope="col">Feature</th>
              <th scope="col">Type</th>
              <th scope="col">Included</th>
              <th scope="col">Extra</th>
            </tr>
          </thead>
          <tbody>
            {plan.features.map((feature) => (
              <tr key={feature.code}>
                <th scope="row">{feature.name}</th>
                <td>{typeLabels[feature.type] ?? feature.type}</td>
                <td>{includedText(feature)}</td>
                <td>{extraText(feature)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No features in this plan.</p>
      )}
    </article>
  );
}
