/** The usage explorer (/usage): filters, totals chart, top customers, drifted customers and the rows behind them. */
import type { UsageExplorerPage } from "~/contracts/usage";
import { customerHref } from "~/contracts/customer-ref";
import { Link } from "@remix-run/react";
import { hasFilters, usageCompareExportHref } from "~/contracts/usage-search";
import { DriftSection } from "./drift-section";
import { ExplorerFilters } from "./filters";
import { planNamesOf } from "./plan-names";
import { TopCustomersSection } from "./top-customers";
import { IngestNote, UsageTotals } from "./totals";
import { UsageRows } from "./usage-rows";

export function UsageExplorer({
  page,
  canExport,
  detailRows,
  loading,
}: {
  page: UsageExplorerPage;
  canExport: boolean;
  detailRows: number;
  loading: boolean;
}) {
  const planNames = planNamesOf(page.plans);
  const featureNames = { names: page.featureNames, units: page.units };
  const r = page.result;
  const busy = { "aria-busy": loading, className: loading ? "is-loading" : undefined };
  return (
    <>
      <div className="page-header">
        <h1>Usage</h1>
        <p className="muted">
          Usage per feature from the console's timeline (Commet's usage.recorded webhooks and manual entries). Days are
          UTC days.
        </p>
      </div>
      <ExplorerFilters page={page} canExport={canExport} />
      {page.catalogError ? (
        <p className="notice" role="status">
          {page.catalogError}
        </p>
      ) : null}
      <CustomerMatches matches={page.customerMatches} term={page.search.customer} />
      <IngestNote ingest={page.ingest} />
      {page.rangeError ? (
        <p className="error-panel" role="alert" data-testid="range-error">
          {page.rangeError}
        </p>
      ) : null}
      {r ? (
        <div {...busy}>
          <UsageTotals
            series={r.series}
            featureNames={featureNames}
            grain={page.search.grain}
            filtered={hasFilters(page.search)}
            previous={r.previous}
            compareHref={canExport && r.previous ? usageCompareExportHref(page.search) : null}
          />
          <TopCustomersSection
            top={r.top}
            search={page.search}
            overageKnown={!!page.included}
            loading={loading}
            planNames={planNames}
            featureNames={featureNames}
            canExport={canExport}
          />
        </div>
      ) : null}

      <DriftSection drift={page.drift} />

      {r ? (
        <div {...busy}>
          <UsageRows
            detail={r.detail}
            planNames={planNames}
            featureNames={featureNames}
            pageSize={detailRows}
            canExport={canExport}
          />
        </div>
      ) : null}
    </>
  );
}

/** Which customers a search by name or email filtered on (the box takes ids too: then nothing is listed). */
function CustomerMatches({
  matches,
  term,
}: {
  matches: UsageExplorerPage["customerMatches"];
  term: string | undefined;
}) {
  if (!matches || !term) return null;
  if (matches.length === 0)
    return (
      <p className="notice" role="status" data-testid="customer-matches">
        No customer in the directory is named &ldquo;{term}&rdquo;: only usage stored under that exact reference is
        shown.
      </p>
    );
  return (
    <p className="muted" data-testid="customer-matches">
      Customers matching &ldquo;{term}&rdquo;
      {matches.length >= 50 ? " (the first 50)" : ""}:{" "}
      {matches.map((m, i) => (
        <span key={m.id}>
          {i > 0 ? ", " : ""}
          <Link to={customerHref(m.externalId ?? m.id)}>{m.fullName ?? m.email}</Link>{" "}
          <code className="small">{m.externalId ?? m.id}</code>
        </span>
      ))}
    </p>
  );
}
