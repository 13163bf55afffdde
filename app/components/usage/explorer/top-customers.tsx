// The usage explorer's top-customers table, by usage or by overage.

import { Await, Link } from "@remix-run/react";
import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import { Suspense } from "react";
import { DataTable } from "~/components/data-table";
import { Sparkline } from "~/components/usage/sparkline";
import type { CustomerLabels, RangeEstimates, TopCustomerRow, UsageExplorerPage } from "~/contracts/usage";
import { formatQuantity } from "~/contracts/format";
import { formatMinor } from "~/contracts/money";
import { usageSearchString, usageTopExportHref, type UsageSearch } from "~/contracts/usage-search";
import { CustomerCell, customerName } from "./customer-cell";
import { featureName, planLabel, type FeatureNames, type PlanNames } from "./plan-names";

const features = tableFeatures({});
const column = createColumnHelper<typeof features, TopCustomerRow>();

function topColumns(
  search: UsageSearch,
  overageKnown: boolean,
  planNames: PlanNames,
  featureNames: FeatureNames,
  labels: CustomerLabels,
  estimates: RangeEstimates | null,
) {
  const sortLink = (key: UsageSearch["sort"], title: string) =>
    search.sort === key ? (
      <span title="Sorted, largest first">{title} ▼</span>
    ) : (
      <Link to={`/usage${usageSearchString({ ...search, sort: key })}`} aria-label={`${title}: sort descending`}>
        {title} ↕
      </Link>
    );
  return column.columns([
    column.accessor("customerId", {
      header: "Customer",
      cell: (info) => <CustomerCell customerRef={info.getValue()} labels={labels} />,
    }),
    column.accessor((row) => row.planIds.map((id) => planLabel(planNames, id)).join(", "), {
      id: "plans",
      header: "Plan",
      cell: (info) => info.getValue() || "—",
    }),
    column.accessor("usage", {
      header: () => sortLink("usage", "Usage"),
      cell: (info) => <span className="num">{formatQuantity(info.getValue())}</span>,
    }),
    column.accessor("overage", {
      header: () => sortLink("overage", "Overage"),
      cell: (info) => (
        <span className="num">{overageKnown ? formatQuantity(Math.round(info.getValue() * 100) / 100) : "—"}</span>
      ),
    }),
    column.accessor((row) => estimates?.[row.customerId]?.amount ?? null, {
      id: "estimate",
      header: () => (
        <span title="Usage beyond the included amounts priced per the customer's own billing periods">Estimate</span>
      ),
      cell: (info) => {
        const e = estimates?.[info.row.original.customerId];
        if (!e) return <span className="muted">{estimates ? "no plan period" : "—"}</span>;
        return (
          <span className="num" data-testid="top-estimate" data-amount={e.amount}>
            {formatMinor(e.amount, e.currency)}
            {Object.keys(e.byFeature).length > 1 ? (
              <div className="muted small">
                {Object.entries(e.byFeature)
                  .map(([code, v]) => `${featureName(featureNames, code)} ${formatMinor(v, e.currency)}`)
                  .join(" · ")}
              </div>
            ) : null}
            {e.note ? <div className="muted small">{e.note}</div> : null}
          </span>
        );
      },
    }),
    column.accessor("byFeature", {
      header: "By feature",
      cell: (info) => (
        <span className="muted">
          {Object.entries(info.getValue())
            .map(([code, v]) => `${featureName(featureNames, code)} ${formatQuantity(v, featureNames.units[code])}`)
            .join(" · ")}
        </span>
      ),
    }),
    column.accessor("spark", {
      header: "Daily (UTC)",
      cell: (info) => (
        <Sparkline
          values={info.getValue()}
          label={`Daily usage of ${customerName(info.row.original.customerId, labels)}, max ${formatQuantity(Math.max(0, ...info.getValue()))}`}
        />
      ),
    }),
  ]);
}

function TopCustomersTable({
  rows,
  search,
  overageKnown,
  loading,
  planNames,
  featureNames,
  labels,
  estimates,
}: {
  rows: TopCustomerRow[];
  estimates: RangeEstimates | null;
  search: UsageSearch;
  overageKnown: boolean;
  loading: boolean;
  planNames: PlanNames;
  featureNames: FeatureNames;
  labels: CustomerLabels;
}) {
  const table = useTable({
    features,
    columns: topColumns(search, overageKnown, planNames, featureNames, labels, estimates),
    data: rows,
    getRowId: (r) => r.customerId,
  });
  return (
    <DataTable
      table={table}
      caption={`Top customers by ${search.sort}`}
      testId="top-customers"
      loading={loading}
      empty="No customer has usage in this range with these filters."
    />
  );
}

/** The ranking, streamed in after the rest of the page; a failure shows in this section only. */
export function TopCustomersSection({
  top,
  search,
  overageKnown,
  loading,
  planNames,
  featureNames,
  canExport,
}: {
  top: NonNullable<UsageExplorerPage["result"]>["top"];
  search: UsageSearch;
  overageKnown: boolean;
  loading: boolean;
  planNames: PlanNames;
  featureNames: FeatureNames;
  canExport: boolean;
}) {
  return (
    <section className="usage-section" aria-labelledby="usage-top">
      <Suspense
        fallback={
          <>
            <h2 id="usage-top">Top customers by {search.sort}</h2>
            <p className="muted" aria-busy="true" data-testid="top-customers-loading">
              Ranking customers…
            </p>
          </>
        }
      >
        <Await resolve={top}>
          {(ranked) =>
            ranked ? (
              <>
                <div className="toolbar">
                  <h2 id="usage-top">
                    Top customers by {search.sort} <span className="muted">({ranked.customers} with usage)</span>
                  </h2>
                  {canExport && ranked.rows.length > 0 ? (
                    <a
                      className="button button--quiet toolbar__end"
                      href={usageTopExportHref(search)}
                      download
                      data-testid="top-customers-export"
                    >
                      Export top customers (CSV)
                    </a>
                  ) : null}
                </div>
                <TopCustomersTable
                  rows={ranked.rows}
                  search={search}
                  overageKnown={overageKnown}
                  loading={loading}
                  planNames={planNames}
                  featureNames={featureNames}
                  labels={ranked.labels}
                  estimates={ranked.estimates}
                />
              </>
            ) : (
              <>
                <h2 id="usage-top">Top customers by {search.sort}</h2>
                <p className="error-panel" role="alert" data-testid="top-customers-error">
                  The ranking could not be computed. Reload the page to try again.
                </p>
              </>
            )
          }
        </Await>
      </Suspense>
      <p className="muted small">
        Overage: usage above the plan's included amount prorated to the range (included × days ÷ 30). Estimate: the
        usage charges the range's days add to each customer's own billing periods (usage beyond the included amount at
        the plan's overage price, periods counted from the subscription's start), in the customer's currency (USD,
        Commet's base currency); base price, seats and tax are not included.
      </p>
    </section>
  );
}
