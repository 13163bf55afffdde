// The usage explorer's detail rows (customer × feature × UTC day), the first page of the CSV export.

import type { UsageExplorerPage } from "~/contracts/usage";
import { formatQuantity } from "~/contracts/format";
import { formatMinor } from "~/contracts/money";
import { CustomerCell } from "./customer-cell";
import { featureName, planLabel, type FeatureNames, type PlanNames } from "./plan-names";

/**
 * The rows behind the chart (customer × feature × UTC day), the first page of what the CSV export
 * holds, by name; the customer, plan and feature cells carry their ids as `data-value` (the CSV's id columns).
 */
export function UsageRows({
  detail,
  planNames,
  featureNames,
  pageSize,
  canExport,
}: {
  detail: NonNullable<UsageExplorerPage["result"]>["detail"];
  planNames: PlanNames;
  featureNames: FeatureNames;
  pageSize: number;
  canExport: boolean;
}) {
  return (
    <section className="usage-section" aria-labelledby="usage-rows">
      <h2 id="usage-rows">Rows (customer × feature × UTC day)</h2>
      {detail.rows.length === 0 ? (
        <p className="empty-state">No rows.</p>
      ) : (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Usage rows behind the chart">
          <table className="data-table" data-testid="usage-rows">
            <caption className="visually-hidden">Usage rows behind the chart</caption>
            <thead>
              <tr>
                <th scope="col">Day (UTC)</th>
                <th scope="col">Customer</th>
                <th scope="col">Plan</th>
                <th scope="col">Feature</th>
                <th scope="col">Unit</th>
                <th scope="col">Total</th>
                <th scope="col">Estimate</th>
                <th scope="col">Events</th>
              </tr>
            </thead>
            <tbody>
              {detail.rows.map((row) => (
                <tr key={`${row.date}|${row.customerId}|${row.featureCode}`}>
                  <td>{row.date}</td>
                  <td data-value={detail.labels[row.customerId]?.id ?? row.customerId}>
                    <CustomerCell customerRef={row.customerId} labels={detail.labels} />
                  </td>
                  <td data-value={row.planId}>{planLabel(planNames, row.planId)}</td>
                  <td data-value={row.featureCode}>
                    {featureName(featureNames, row.featureCode)} <code className="muted small">{row.featureCode}</code>
                  </td>
                  <td>{featureNames.units[row.featureCode] ?? "—"}</td>
                  <td className="num">{formatQuantity(row.total)}</td>
                  <td className="num">{estimateCell(detail.estimates?.[row.customerId], row)}</td>
                  <td className="num">{row.events}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {detail.nextCursor ? (
        <p className="muted small">
          The first {pageSize} rows;{" "}
          {canExport ? "the CSV export has all of them." : "finance and admin can export all of them as CSV."}
        </p>
      ) : null}
    </section>
  );
}

/** The day's estimated amount for the feature (what it added to the period's charge), or why there is none. */
function estimateCell(
  e: NonNullable<NonNullable<UsageExplorerPage["result"]>["detail"]["estimates"]>[string] | undefined,
  row: { date: string; featureCode: string },
) {
  if (!e) return <span className="muted">—</span>;
  return formatMinor(e.byDay[`${row.date}|${row.featureCode}`] ?? 0, e.currency);
}
