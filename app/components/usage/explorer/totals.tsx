// The usage explorer's totals per feature, and a note on how much history the timeline holds.

import { UsageChart } from "~/components/usage/usage-chart";
import { formatQuantity, formatUtc } from "~/contracts/format";
import type { IngestStatus, UsageSeries } from "~/contracts/usage";
import { compareTotals, formatDeltaPct, totalsOf } from "~/contracts/usage-compare";
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
  previous,
  compareHref,
}: {
  series: UsageSeries;
  /** The previous range with the same filters (compare=previous). */
  previous: UsageSeries | null;
  /** The comparison's CSV (export permission), when comparing. */
  compareHref: string | null;
  featureNames: FeatureNames;
  filtered: boolean;
  grain: UsageGrain;
}) {
  const codes = [...new Set([...series.features, ...(previous?.features ?? [])])].sort();
  const legend = Object.fromEntries(codes.map((f) => [f, featureLegend(featureNames, f)]));
  const compared = previous ? compareTotals(totalsOf(series.days), totalsOf(previous.days), codes) : null;
  return (
    <section className="usage-section" aria-labelledby="usage-totals">
      <h2 id="usage-totals">
        Totals per feature, {series.from} to {series.to} (UTC)
        {previous ? ` vs ${previous.from} to ${previous.to}` : ""}
      </h2>
      {series.total === 0 && !previous?.total ? (
        <p className="empty-state" data-testid="usage-range-empty">
          No usage recorded in this range
          {filtered ? " with these filters" : ""}.
        </p>
      ) : (
        <>
          <UsageChart
            features={codes}
            days={bucketSeries(series.days, grain)}
            grain={grain}
            units={featureNames.units}
            names={legend}
            previous={
              previous
                ? { days: bucketSeries(previous.days, grain), label: `${previous.from} – ${previous.to}` }
                : undefined
            }
          />
          {compared ? (
            <ComparisonTable
              compared={compared}
              featureNames={featureNames}
              previous={previous!}
              series={series}
              compareHref={compareHref}
            />
          ) : (
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
          )}
        </>
      )}
    </section>
  );
}

/** Totals per feature: current, previous, Δ and Δ% (what the comparison CSV's total rows hold). */
function ComparisonTable({
  compared,
  featureNames,
  series,
  previous,
  compareHref,
}: {
  compared: ReturnType<typeof compareTotals>;
  featureNames: FeatureNames;
  series: UsageSeries;
  previous: UsageSeries;
  compareHref: string | null;
}) {
  return (
    <>
      <table className="mini-table usage-totals" data-testid="usage-compare">
        <caption className="visually-hidden">Totals per feature against the previous range</caption>
        <thead>
          <tr>
            <th scope="col">Feature</th>
            <th scope="col">Unit</th>
            <th scope="col" className="num">
              Current
              <div className="muted small">
                {series.from} – {series.to}
              </div>
            </th>
            <th scope="col" className="num">
              Previous
              <div className="muted small">
                {previous.from} – {previous.to}
              </div>
            </th>
            <th scope="col" className="num">
              Δ
            </th>
            <th scope="col" className="num">
              Δ%
            </th>
          </tr>
        </thead>
        <tbody>
          {compared.map((c) => (
            <tr key={c.code} data-feature={c.code} data-current={c.current} data-previous={c.previous}>
              <th scope="row">
                {featureName(featureNames, c.code)} <code className="muted small">{c.code}</code>
              </th>
              <td>{featureNames.units[c.code] ?? "—"}</td>
              <td className="num">{formatQuantity(c.current)}</td>
              <td className="num">{formatQuantity(c.previous)}</td>
              <td className="num">
                {c.delta > 0 ? "+" : c.delta < 0 ? "−" : ""}
                {formatQuantity(Math.abs(c.delta))}
              </td>
              <td className="num">{formatDeltaPct(c.deltaPct, c.delta)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {compareHref ? (
        <p>
          <a className="button button--quiet" href={compareHref} download data-testid="usage-compare-export">
            Export comparison CSV
          </a>
        </p>
      ) : null}
    </>
  );
}
