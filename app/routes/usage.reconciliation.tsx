// /usage/reconciliation — closed billing periods: what the usage timeline tracked vs what Commet invoiced.

import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useNavigation } from "@remix-run/react";
import { requireStaff } from "../../server/auth/index.ts";
import { answerCommet } from "../../server/commet/index.ts";
import { loadClosedPeriodReport } from "../../server/usage/timeline/index.ts";
import { RouteErrorBoundary } from "~/components/route-error";
import { customerHref } from "~/contracts/customer-ref";
import { formatCount, formatDate, formatQuantity } from "~/contracts/format";
import { formatMinor } from "~/contracts/money";
import { can } from "~/contracts/permissions";
import {
  parseReconSearch,
  RECON_FLAG_LABELS,
  reconSearchString,
  type ReconRow,
  type ReconSearch,
} from "~/contracts/reconciliation";

export const meta: MetaFunction = () => [{ title: "Usage reconciliation · Commet Ops Console" }];

/** GET /usage/reconciliation?from&to&show (usage:explore): the report for periods ending in [from, to]. */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "usage:explore");
  const parsed = parseReconSearch(new URL(request.url).searchParams);
  const canExport = can(staff.role, "export:csv");
  if (!parsed.ok) {
    const search: ReconSearch = { show: "differs" };
    return data({ search, inputError: parsed.message, report: null, problem: null, canExport }, { status: 400 });
  }
  const answer = await answerCommet(() => loadClosedPeriodReport(parsed.search));
  return {
    search: parsed.search,
    inputError: null,
    report: answer.ok ? answer.value : null,
    problem: answer.ok ? null : answer.problem,
    canExport,
  };
}

const count = (value: number | null) => (value === null ? "—" : formatCount(value));
const signed = (value: number | null, render: (v: number) => string) =>
  value === null ? "—" : value > 0 ? `+${render(value)}` : value < 0 ? `−${render(-value)}` : render(0);

function FlagBadge({ flag }: { flag: ReconRow["flag"] }) {
  const tone = flag === "match" ? "good" : flag === "untracked_line" ? "warn" : "bad";
  return (
    <span className={`status-badge status-badge--${tone}`} data-flag={flag}>
      {RECON_FLAG_LABELS[flag]}
    </span>
  );
}

export default function UsageReconciliation() {
  const { search, inputError, report, problem, canExport } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  const loading = navigation.state === "loading" && navigation.location.pathname === "/usage/reconciliation";
  const rows = (report?.rows ?? []).filter((r) => search.show === "all" || r.flag !== "match");

  return (
    <>
      <div className="page-header">
        <h1>
          Usage reconciliation <span className="count">{formatCount(report?.totals.flagged ?? 0)}</span>
        </h1>
        <p className="muted">
          Closed billing periods: usage the console&apos;s timeline tracked in each customer&apos;s period against the
          overage Commet invoiced for it. Differences are invoiced − tracked. Live-counter drift of current periods is
          on <Link to="/usage">Usage</Link>.
        </p>
      </div>

      <Form method="get" className="toolbar" aria-label="Reconciliation filters">
        <label>
          Periods ending from
          <input type="date" name="from" defaultValue={search.from ?? report?.from ?? ""} />
        </label>
        <label>
          to
          <input type="date" name="to" defaultValue={search.to ?? report?.to ?? ""} />
        </label>
        <label>
          Show
          <select name="show" defaultValue={search.show}>
            <option value="differs">Differences only</option>
            <option value="all">Every compared line</option>
          </select>
        </label>
        <button type="submit" className="button">
          Reconcile
        </button>
        {canExport && report ? (
          <a
            className="button button--quiet"
            href={`/usage/reconciliation/export.csv${reconSearchString({ ...search, from: report.from, to: report.to })}`}
            download
            data-testid="recon-export"
          >
            Export CSV
          </a>
        ) : null}
      </Form>

      {inputError ? (
        <p className="panel-error" role="alert">
          {inputError}
        </p>
      ) : problem ? (
        <p className="panel-error" role="alert" data-testid="recon-problem">
          {problem.title}: {problem.message}
        </p>
      ) : report ? (
        <>
          <p
            className="muted"
            data-testid="recon-summary"
            data-flagged={report.totals.flagged}
            data-compared={report.totals.compared}
            data-invoices={report.totals.invoices}
          >
            {formatQuantity(report.totals.invoices, "closed-period invoice")} of{" "}
            {formatQuantity(report.totals.customers, "customer")} with periods ending {formatDate(report.from)} –{" "}
            {formatDate(report.to)}: {formatQuantity(report.totals.compared, "feature line")} compared,{" "}
            <strong>{formatCount(report.totals.flagged)} flagged</strong>
            {report.totals.byCurrency.map((c) => (
              <span key={c.currency}>
                {" "}
                · {c.currency} invoiced {formatMinor(c.invoiced, c.currency)}, tracked{" "}
                {formatMinor(c.tracked, c.currency)}, difference {signed(c.diff, (v) => formatMinor(v, c.currency))}
              </span>
            ))}
            . Read in {formatCount(report.tookMs)} ms.
          </p>
          {report.catalogError ? (
            <p className="notice notice--warn" role="status">
              {report.catalogError}
            </p>
          ) : null}
          {report.beyondTimeline > 0 ? (
            <p className="notice notice--warn" role="status" data-testid="recon-beyond-timeline">
              {formatQuantity(report.beyondTimeline, "period")} reach beyond the usage the timeline holds (
              {report.timeline.firstDay
                ? `${formatDate(report.timeline.firstDay)} – ${formatDate(report.timeline.lastDay!)}`
                : "none yet"}
              ): still arriving or never received, so their tracked usage is short.
            </p>
          ) : null}
          {report.truncated ? (
            <p className="notice notice--warn" role="status">
              Commet lists more invoices than one report reads; the oldest were not compared.
            </p>
          ) : null}
          {report.failed.length > 0 ? (
            <p className="notice notice--bad" role="status">
              {formatQuantity(report.failed.length, "invoice")} could not be read from Commet and{" "}
              {report.failed.length === 1 ? "is" : "are"} not compared:{" "}
              {report.failed.map((f) => f.invoiceId).join(", ")}.
            </p>
          ) : null}
          {rows.length === 0 ? (
            <div className="empty-state" data-testid="recon-empty">
              {report.totals.invoices === 0
                ? "No billing period closed in these dates."
                : "Every closed period matches what the timeline tracked."}
            </div>
          ) : (
            <div className={loading ? "table-wrap is-loading" : "table-wrap"}>
              <table className="data-table" data-testid="recon-table">
                <caption className="visually-hidden">Invoiced versus tracked usage per customer and feature</caption>
                <thead>
                  <tr>
                    <th scope="col">Customer</th>
                    <th scope="col">Period · invoice</th>
                    <th scope="col">Feature</th>
                    <th scope="col" className="num">
                      Difference
                    </th>
                    <th scope="col">Flag</th>
                    <th scope="col" className="num">
                      Used
                      <div className="muted small">invoiced · tracked</div>
                    </th>
                    <th scope="col" className="num">
                      Overage
                      <div className="muted small">invoiced · tracked</div>
                    </th>
                    <th scope="col" className="num">
                      Amount
                      <div className="muted small">invoiced · tracked</div>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={`${r.invoiceId}:${r.featureName}`} data-customer={r.customerId} data-flag={r.flag}>
                      <td>
                        <Link to={customerHref(r.customerExternalId ?? r.customerId)} prefetch="intent">
                          {r.customerName ?? r.customerExternalId ?? r.customerId}
                        </Link>
                        <div className="muted small">{r.customerExternalId ?? r.customerId}</div>
                      </td>
                      <td>
                        {formatDate(r.periodStart)} – {formatDate(r.periodEnd)}
                        <div className="muted small">
                          <Link
                            to={`${customerHref(r.customerExternalId ?? r.customerId)}?invoice=${encodeURIComponent(r.invoiceId)}`}
                          >
                            {r.invoiceNumber}
                          </Link>
                          {r.planName ? ` · ${r.planName}` : ""}
                        </div>
                      </td>
                      <td>
                        {r.featureName}
                        <div className="muted small">
                          {r.featureCode ?? "not in the catalog"}
                          {r.included === null ? "" : ` · ${formatQuantity(r.included, r.unitName)} included`}
                        </div>
                      </td>
                      <td className="num" data-testid="recon-diff">
                        {signed(r.amountDiff, (v) => formatMinor(v, r.currency))}
                        <div className="muted small">
                          {signed(r.usedDiff ?? r.overageDiff, (v) => formatQuantity(v, r.unitName))}
                        </div>
                      </td>
                      <td>
                        <FlagBadge flag={r.flag} />
                      </td>
                      <td className="num">
                        {r.invoicedUsed === null ? "not on invoice" : count(r.invoicedUsed)}
                        <div className="muted small">{count(r.trackedUsed)}</div>
                      </td>
                      <td className="num">
                        {count(r.invoicedOverage)}
                        <div className="muted small">{count(r.trackedOverage)}</div>
                      </td>
                      <td className="num">
                        {formatMinor(r.invoicedAmount, r.currency)}
                        <div className="muted small">
                          {r.trackedAmount === null ? "—" : formatMinor(r.trackedAmount, r.currency)}
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      ) : null}
    </>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
