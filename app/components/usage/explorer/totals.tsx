// The usage explorer's totals per feature, and a note on how much history the timeline holds.

import { UsageChart } from "~/components/usage/usage-chart";
import { formatQuantity, formatUtc } from "~/contracts/format";
import type { IngestStatus, UsageSeries } from "~/contracts/usage";
import { bucketSeries, type UsageGrain } from "~/contracts/usage-grain";
import { featureLegend, featureName, type FeatureNames } from "./plan-names";

/** How much history the timeline holds (or that it holds none yet). */
export function IngestNote({ ingest }: { ingest: IngestStatus }) {
  if (ingest.events === 0) {
    return (
      <p className="empty-state" data-testid="usage-empty">
        No usage recorded yet. The timeline fills as Commet sends usage.recorded webhooks and staff record manual usage.
      </p>
    );
  }
  return (
    <p
      className="muted"
      data-testid="ingest-status"
      data-first-day={ingest.firstDay ?? ""}
      data-last-day={ingest.lastDay ?? ""}
    >
      Timeline: {formatQuantity(ingest.events)} events from {ingest.firstDay} to {ingest.lastDay} (UTC)
      {ingest.latestOccurredAt ? `, latest at ${formatUtc(ingest.latestOccurredAt, { seconds: true })}` : ""}.
    </p>
  );
}

/** The stacked chart of the range and its totals per feature. */
export function UsageTotals({
  series,
  featureNames,
  filtered,
  grain,
}: {
  series: UsageSeries;
  featureNames: FeatureNames;
  filtered: boolean;
  grain: UsageGrain;
}) {
  const legend = Object.fromEntries(series.features.map((f) => [f, featureLegend(featureNames, f)]));
  return (
    <section className="usage-section" aria-labelledby="usage-totals">
      <h2 id="usage-totals">
        Totals per feature, {series.from} to {series.to} (UTC)
      </h2>
      {series.total === 0 ? (
        <p className="empty-state" data-testid="usage-range-empty">
          No usage recorded in this range
          {filtered ? " with these filters" : ""}.
        </p>
      ) : (
        <>
          <UsageChart
            features={series.features}
            days={bucketSeries(series.days, grain)}
            grain={grain}
            units={featureNames.units}
            names={legend}
          />
          <table className="mini-table usage-totals" data-testid="usage-totals">
            <caption className="visually-hidden">Totals per feature in the range</caption>
            <thead>
              <tr>
                <th scope="col">Feature</th>
                <th scope="col">Unit</th>
                <th scope="col">Total</th>
              </tr>
            </thead>
            <tbody>
              {series.features.map((f) => {
                const total = series.days.reduce((s, day) => s + (day.totals[f] ?? 0), 0);
                return (
                  <tr key={f} data-feature={f} data-total={total}>
                    <th scope="row">
                      {featureName(featureNames, f)} <code className="muted small">{f}</code>
                    </th>
                    <td>{featureNames.units[f] ?? "—"}</td>
                    <td className="num">{formatQuantity(total)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
