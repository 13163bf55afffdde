import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Await, Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Suspense } from "react";
import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import { can, requireStaff } from "../../server/auth/index.ts";
import { getCommet } from "../../server/commet/client.ts";
import { listPlans } from "../../server/commet/index.ts";
import { getReadyDb } from "../../server/db/index.ts";
import { listIndexedPlans, SUBSCRIPTION_STATUSES } from "../../server/directory/index.ts";
import {
  getIngestStatus,
  InvalidRangeError,
  listDrift,
  listStoredDrift,
  listUsageRows,
  parseExplorerFilters,
  topCustomers,
  usageSeries,
  type IncludedByPlan,
  type TopCustomerRow,
} from "../../server/usage/timeline/index.ts";
import { DataTable, DataTableFacetedFilter } from "~/components/data-table";
import { RouteErrorBoundary } from "~/components/route-error";
import { DriftBadge } from "~/components/usage/drift-badge";
import { Sparkline } from "~/components/usage/sparkline";
import { UsageChart } from "~/components/usage/usage-chart";
import usageStyles from "~/components/usage/usage.css?url";
import { customerHref } from "~/contracts/customer-ref";
import {
  formatQuantity,
  hasFilters,
  parseUsageSearch,
  USAGE_RANGES,
  usageExportHref,
  usageSearchString,
  type UsageSearch,
} from "~/contracts/usage-search";

export const meta: MetaFunction = () => [{ title: "Usage · Commet Ops Console" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: usageStyles }];

const DETAIL_ROWS = 25;

/** Plans as the filter offers them, with each plan's included units per usage feature (for overage). */
async function planCatalog(database: Awaited<ReturnType<typeof getReadyDb>>) {
  try {
    const plans = await listPlans();
    const included: IncludedByPlan = Object.fromEntries(
      plans.map((p) => [
        p.id,
        Object.fromEntries(
          p.features.filter((f) => f.type === "usage").map((f) => [f.code, f.unlimited ? null : f.included]),
        ),
      ]),
    );
    const units: Record<string, string | null> = {};
    for (const p of plans) for (const f of p.features) if (f.type === "usage") units[f.code] ??= f.unitName;
    return {
      plans: plans.map((p) => ({ id: p.id, name: p.name })),
      included,
      units,
      catalogError: null,
    };
  } catch {
    // Commet unreachable: the filter still offers the plans the directory has seen; overage needs the catalog.
    const indexed = await listIndexedPlans(database);
    return {
      plans: indexed.map((p) => ({
        id: p.planId,
        name: p.planName ?? p.planId,
      })),
      included: undefined,
      units: {} as Record<string, string | null>,
      catalogError: "Commet's plan catalog could not be read: overage is not computed and units are not shown.",
    };
  }
}

export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "usage:explore");
  const search = parseUsageSearch(new URL(request.url).searchParams);
  const database = await getReadyDb();
  const [catalog, ingest, drifted] = await Promise.all([
    planCatalog(database),
    getIngestStatus(database),
    listStoredDrift(database, { limit: 50 }),
  ]);
  const common = {
    search,
    canExport: can(staff.role, "export:csv"),
    ingest,
    drifted,
    ...catalog,
    statuses: [...SUBSCRIPTION_STATUSES],
  };
  let filters;
  try {
    filters = parseExplorerFilters(new URLSearchParams(usageSearchString(search, { withSort: false })), Date.now());
  } catch (error) {
    if (error instanceof InvalidRangeError)
      return data({ ...common, rangeError: error.message, result: null }, { status: 400 });
    throw error;
  }
  // The ranking reads every customer's days of the range (the slowest query here): it streams in after
  // the chart and the rows; a failure shows in its section only.
  const top = topCustomers(database, filters, { limit: 20, sort: search.sort, included: catalog.included }).catch(
    (error: unknown) => {
      console.error("usage explorer: top customers failed", error);
      return null;
    },
  );
  const [series, detail] = await Promise.all([
    usageSeries(database, filters),
    listUsageRows(database, filters, { limit: DETAIL_ROWS }),
  ]);
  return { ...common, rangeError: null, result: { series, top, detail } };
}

/** Finance: re-check the customers with recent usage or a live subscription against Commet now. */
export async function action({ request }: ActionFunctionArgs) {
  await requireStaff(request, "usage:explore");
  const form = await request.formData();
  if (form.get("intent") !== "reconcile") return data({ reconciled: null, error: "Unknown action" }, { status: 400 });
  const database = await getReadyDb();
  const sweep = await listDrift(database, getCommet(), {
    limit: 500,
    concurrency: 4,
  });
  return {
    reconciled: {
      checked: sweep.checked,
      drifted: sweep.drifted.length,
      failed: sweep.failed.length,
    },
    error: null,
  };
}

const features = tableFeatures({});
const column = createColumnHelper<typeof features, TopCustomerRow>();

/** A plan id as staff read it: the catalog's name when known, else the id itself. */
type PlanNames = Record<string, string>;
const planLabel = (names: PlanNames, id: string) => names[id] ?? id;

function topColumns(sort: UsageSearch["sort"], search: UsageSearch, overageKnown: boolean, planNames: PlanNames) {
  const sortLink = (key: UsageSearch["sort"], title: string) =>
    sort === key ? (
      <span title="Sorted, largest first">{title} ▼</span>
    ) : (
      <Link to={`/usage${usageSearchString({ ...search, sort: key })}`} aria-label={`${title}: sort descending`}>
        {title} ↕
      </Link>
    );
  return column.columns([
    column.accessor("customerId", {
      header: "Customer",
      cell: (info) => <Link to={customerHref(info.getValue())}>{info.getValue()}</Link>,
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
    column.accessor("byFeature", {
      header: "By feature",
      cell: (info) => (
        <span className="muted">
          {Object.entries(info.getValue())
            .map(([code, v]) => `${code} ${formatQuantity(v)}`)
            .join(" · ")}
        </span>
      ),
    }),
    column.accessor("spark", {
      header: "Daily (UTC)",
      cell: (info) => (
        <Sparkline
          values={info.getValue()}
          label={`Daily usage of ${info.row.original.customerId}, max ${formatQuantity(Math.max(0, ...info.getValue()))}`}
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
}: {
  rows: TopCustomerRow[];
  search: UsageSearch;
  overageKnown: boolean;
  loading: boolean;
  planNames: PlanNames;
}) {
  const table = useTable({
    features,
    columns: topColumns(search.sort, search, overageKnown, planNames),
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

function Filters({ d }: { d: ReturnType<typeof useLoaderData<typeof loader>> }) {
  const s = d.search;
  return (
    <Form method="get" className="toolbar" role="search" aria-label="Filter usage" key={usageSearchString(s)}>
      <label>
        Range (UTC days)
        <select name="range" defaultValue={s.range}>
          {USAGE_RANGES.map((r) => (
            <option key={r} value={r}>
              {r === "custom" ? "Custom" : `Last ${r.replace("d", " days")}`}
            </option>
          ))}
        </select>
      </label>
      <label>
        From (UTC)
        <input type="date" name="from" defaultValue={s.from ?? ""} />
      </label>
      <label>
        To (UTC)
        <input type="date" name="to" defaultValue={s.to ?? ""} />
      </label>
      <DataTableFacetedFilter
        name="plan"
        label="Plan"
        value={s.plan[0]}
        options={d.plans.map((p) => ({ value: p.id, label: p.name }))}
      />
      <DataTableFacetedFilter
        name="feature"
        label="Feature"
        value={s.feature[0]}
        options={[...new Set([...Object.keys(d.units), ...(d.result?.series.features ?? []), ...s.feature])]
          .sort()
          .map((f) => ({ value: f, label: f }))}
      />
      <DataTableFacetedFilter
        name="status"
        label="Customer status"
        value={s.status[0]}
        options={d.statuses.map((st) => ({
          value: st,
          label: st.replace("_", " "),
        }))}
      />
      <label>
        Customer
        <input type="search" name="customer" defaultValue={s.customer ?? ""} placeholder="Commet ID or external ID" />
      </label>
      {s.sort !== "usage" ? <input type="hidden" name="sort" value={s.sort} /> : null}
      <button type="submit" className="button">
        Apply
      </button>
      {hasFilters(s) || s.range !== "30d" ? (
        <Link to="/usage" className="button button--quiet">
          Clear filters
        </Link>
      ) : null}
      {d.canExport && d.result ? (
        <a className="button button--quiet toolbar__end" href={usageExportHref(s)} download data-testid="usage-export">
          Export CSV
        </a>
      ) : null}
    </Form>
  );
}

function IngestNote({ ingest }: { ingest: ReturnType<typeof useLoaderData<typeof loader>>["ingest"] }) {
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
      {ingest.latestOccurredAt
        ? `, latest at ${new Date(ingest.latestOccurredAt).toISOString().replace("T", " ").slice(0, 19)} UTC`
        : ""}
      .
    </p>
  );
}

export default function UsageExplorer() {
  const d = useLoaderData<typeof loader>();
  const planNames: PlanNames = Object.fromEntries(d.plans.map((p) => [p.id, p.name]));
  const reconciled = useActionData<typeof action>();
  const navigation = useNavigation();
  const loading = navigation.state === "loading" && navigation.location.pathname === "/usage";
  const reconciling = navigation.state === "submitting" && navigation.formData?.get("intent") === "reconcile";
  const r = d.result;
  return (
    <>
      <div className="page-header">
        <h1>Usage</h1>
        <p className="muted">
          Usage per feature from the console's timeline (Commet's usage.recorded webhooks and manual entries). Days are
          UTC days.
        </p>
      </div>
      <Filters d={d} />
      {d.catalogError ? (
        <p className="notice" role="status">
          {d.catalogError}
        </p>
      ) : null}
      <IngestNote ingest={d.ingest} />
      {d.rangeError ? (
        <p className="error-panel" role="alert" data-testid="range-error">
          {d.rangeError}
        </p>
      ) : null}
      {r ? (
        <div aria-busy={loading} className={loading ? "is-loading" : undefined}>
          <section className="usage-section" aria-labelledby="usage-totals">
            <h2 id="usage-totals">
              Totals per feature, {r.series.from} to {r.series.to} (UTC)
            </h2>
            {r.series.total === 0 ? (
              <p className="empty-state" data-testid="usage-range-empty">
                No usage recorded in this range
                {hasFilters(d.search) ? " with these filters" : ""}.
              </p>
            ) : (
              <>
                <UsageChart features={r.series.features} days={r.series.days} units={d.units} />
                <table className="mini-table usage-totals" data-testid="usage-totals">
                  <caption className="visually-hidden">Totals per feature in the range</caption>
                  <thead>
                    <tr>
                      <th scope="col">Feature</th>
                      <th scope="col">Total</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.series.features.map((f) => {
                      const total = r.series.days.reduce((s, day) => s + (day.totals[f] ?? 0), 0);
                      return (
                        <tr key={f} data-feature={f} data-total={total}>
                          <th scope="row">
                            <code>{f}</code>
                          </th>
                          <td className="num">{formatQuantity(total, d.units[f])}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </>
            )}
          </section>

          <section className="usage-section" aria-labelledby="usage-top">
            <Suspense
              fallback={
                <>
                  <h2 id="usage-top">Top customers by {d.search.sort}</h2>
                  <p className="muted" aria-busy="true" data-testid="top-customers-loading">
                    Ranking customers…
                  </p>
                </>
              }
            >
              <Await resolve={r.top}>
                {(top) =>
                  top ? (
                    <>
                      <h2 id="usage-top">
                        Top customers by {d.search.sort} <span className="muted">({top.customers} with usage)</span>
                      </h2>
                      <TopCustomersTable
                        rows={top.rows}
                        search={d.search}
                        overageKnown={!!d.included}
                        loading={loading}
                        planNames={planNames}
                      />
                    </>
                  ) : (
                    <>
                      <h2 id="usage-top">Top customers by {d.search.sort}</h2>
                      <p className="error-panel" role="alert" data-testid="top-customers-error">
                        The ranking could not be computed. Reload the page to try again.
                      </p>
                    </>
                  )
                }
              </Await>
            </Suspense>
            <p className="muted small">
              Overage: usage above the plan's included amount prorated to the range (included × days ÷ 30).
            </p>
          </section>
        </div>
      ) : null}

      <DriftSection drifted={d.drifted} reconciled={reconciled?.reconciled ?? null} reconciling={reconciling} />

      {r ? (
        <div aria-busy={loading} className={loading ? "is-loading" : undefined}>
          <section className="usage-section" aria-labelledby="usage-rows">
            <h2 id="usage-rows">Rows (customer × feature × UTC day)</h2>
            {r.detail.rows.length === 0 ? (
              <p className="empty-state">No rows.</p>
            ) : (
              <div className="table-wrap">
                <table className="data-table" data-testid="usage-rows">
                  <caption className="visually-hidden">Usage rows behind the chart</caption>
                  <thead>
                    <tr>
                      <th scope="col">Day (UTC)</th>
                      <th scope="col">Customer</th>
                      <th scope="col">Plan</th>
                      <th scope="col">Feature</th>
                      <th scope="col">Total</th>
                      <th scope="col">Events</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.detail.rows.map((row) => (
                      <tr key={`${row.date}|${row.customerId}|${row.featureCode}`}>
                        <td>{row.date}</td>
                        <td>{row.customerId}</td>
                        <td>
                          <code>{row.planId || "—"}</code>
                        </td>
                        <td>
                          <code>{row.featureCode}</code>
                        </td>
                        <td className="num">{formatQuantity(row.total)}</td>
                        <td className="num">{row.events}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            {r.detail.nextCursor ? (
              <p className="muted small">
                The first {DETAIL_ROWS} rows;{" "}
                {d.canExport ? "the CSV export has all of them." : "finance and admin can export all of them as CSV."}
              </p>
            ) : null}
          </section>
        </div>
      ) : null}
    </>
  );
}

function DriftSection({
  drifted,
  reconciled,
  reconciling,
}: {
  drifted: ReturnType<typeof useLoaderData<typeof loader>>["drifted"];
  reconciled: { checked: number; drifted: number; failed: number } | null;
  reconciling: boolean;
}) {
  return (
    <section className="usage-section" aria-labelledby="usage-drift">
      <h2 id="usage-drift">Drifted customers</h2>
      <p className="muted small">
        Customers whose timeline for the current period differs from Commet's live counters, as last checked (largest
        difference first).
      </p>
      <Form method="post" className="toolbar">
        <button type="submit" name="intent" value="reconcile" className="button button--quiet" disabled={reconciling}>
          {reconciling ? "Checking against Commet…" : "Check all against Commet now"}
        </button>
        {reconciled ? (
          <span role="status" className="muted">
            Checked {reconciled.checked} customers: {reconciled.drifted} drifted
            {reconciled.failed ? `, ${reconciled.failed} could not be checked` : ""}.
          </span>
        ) : null}
      </Form>
      {drifted.length === 0 ? (
        <p className="empty-state" data-testid="drift-empty">
          No drifted customer in the last checks.
        </p>
      ) : (
        <table className="data-table" data-testid="drift-list">
          <caption className="visually-hidden">Drifted customers</caption>
          <thead>
            <tr>
              <th scope="col">Customer</th>
              <th scope="col">Difference</th>
              <th scope="col">Checked (UTC)</th>
            </tr>
          </thead>
          <tbody>
            {drifted.map((x) => (
              <tr key={x.customerId}>
                <td>
                  <Link to={customerHref(x.customerId)}>{x.customerId}</Link>
                </td>
                <td>
                  <DriftBadge drift={x} />
                </td>
                <td>{new Date(x.checkedAt).toISOString().replace("T", " ").slice(0, 16)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
