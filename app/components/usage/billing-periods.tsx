// The billing-period view (/usage/periods): mode tabs, filters, totals, the sortable paged table and the assumptions.

import { Link } from "@remix-run/react";
import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import {
  DataTable,
  DataTableColumnHeader,
  DataTableFacetedFilter,
  DataTablePagination,
  DataTableToolbar,
  useSearchWith,
} from "~/components/data-table";
import { StatusBadge, statusLabel } from "~/components/status-badge";
import {
  PERIOD_MODES,
  PERIOD_PAGE_SIZES,
  periodExportHref,
  sortParam,
  type PeriodMode,
  type PeriodRow,
  type PeriodView,
} from "~/contracts/billing-periods";
import { customerHref } from "~/contracts/customer-ref";
import { formatCount, formatDate, formatQuantity } from "~/contracts/format";
import { formatMinor } from "~/contracts/money";

const MODE_LABELS: Record<PeriodMode, string> = { current: "Current period", closed: "Last closed period" };

const features = tableFeatures({});
const column = createColumnHelper<typeof features, PeriodRow>();

function signed(value: number, currency: string): string {
  return value > 0
    ? `+${formatMinor(value, currency)}`
    : value < 0
      ? `−${formatMinor(-value, currency)}`
      : formatMinor(0, currency);
}

function useColumns(view: PeriodView) {
  const sort = sortParam(view.search);
  const header = (title: string, sortId?: string) => () => (
    <DataTableColumnHeader title={title} sortId={sortId} sort={sort} />
  );
  const closed = view.search.mode === "closed";
  return column.columns([
    column.accessor((r) => r.customerName ?? r.email, {
      id: "customer",
      header: header("Customer", "customer"),
      cell: (info) => {
        const r = info.row.original;
        return (
          <>
            <Link to={customerHref(r.customerId)} prefetch="intent">
              {info.getValue()}
            </Link>
            <div className="muted small">{r.externalId ?? r.customerId}</div>
          </>
        );
      },
    }),
    column.accessor("planName", {
      id: "plan",
      header: header("Plan", "plan"),
      cell: (info) => (
        <>
          {info.getValue()}
          <div className="small">
            <StatusBadge status={info.row.original.status} />
          </div>
        </>
      ),
    }),
    column.accessor("periodEnd", {
      id: "periodEnd",
      header: header("Period", "periodEnd"),
      cell: (info) => (
        <>
          {formatDate(info.row.original.periodStart)} – {formatDate(info.getValue())}
          <div className="muted small">{info.row.original.interval}</div>
        </>
      ),
    }),
    column.accessor("usage", {
      id: "usage",
      header: header("Usage", "usage"),
      cell: (info) => {
        const used = info.row.original.features.filter((f) => f.used > 0 || f.included > 0);
        if (used.length === 0) return <span className="muted">none</span>;
        return used.map((f) => {
          const meta = view.features.find((x) => x.code === f.code);
          return (
            <div key={f.code} data-feature={f.code}>
              {meta?.name ?? f.code}: {formatQuantity(f.used, meta?.unit)}
              <span className="muted small"> of {formatCount(f.included)} included</span>
            </div>
          );
        });
      },
    }),
    column.accessor("amount", {
      id: "amount",
      header: header(closed ? "Estimate" : "Estimate so far · projected", "amount"),
      cell: (info) => {
        const r = info.row.original;
        return (
          <span className="num" data-testid="period-amount" data-amount={r.amount}>
            {formatMinor(r.amount, r.currency)}
            {r.projectedAmount !== null ? (
              <span className="muted"> · {formatMinor(r.projectedAmount, r.currency)}</span>
            ) : null}
            {r.note ? <div className="muted small">{r.note}</div> : null}
          </span>
        );
      },
    }),
    ...(closed
      ? [
          column.accessor((r) => r.invoice?.overageAmount ?? null, {
            id: "invoiced",
            header: header("Invoiced overage (Commet)"),
            cell: (info) => {
              const r = info.row.original;
              if (r.invoice === undefined) return <span className="muted">not read</span>;
              if (r.invoice === null) return <span className="muted">no closing invoice</span>;
              const diff = r.invoice.overageAmount - r.amount;
              return (
                <span className="num" data-testid="period-invoiced" data-invoiced={r.invoice.overageAmount}>
                  {formatMinor(r.invoice.overageAmount, r.invoice.currency)}
                  <div className={diff === 0 ? "muted small" : "small"}>
                    {r.invoice.number} · Δ {signed(diff, r.invoice.currency)}
                  </div>
                </span>
              );
            },
          }),
        ]
      : []),
  ]);
}

export function BillingPeriods({
  view,
  canExport,
  loading,
}: {
  view: PeriodView;
  canExport: boolean;
  loading: boolean;
}) {
  const searchWith = useSearchWith();
  const table = useTable({
    features,
    columns: useColumns(view),
    data: view.rows,
    getRowId: (r) => r.customerId,
  });
  const { totals, currency, search } = view;
  return (
    <>
      <div className="page-header">
        <h1>
          Billing periods <span className="count">{formatCount(totals.customers)}</span>
        </h1>
        <p className="muted">
          Each customer&apos;s own billing period (its anchor date and interval): usage from the console&apos;s timeline
          priced by the plan — an <strong>Estimate</strong> of the usage charges — and, for the last closed period, what
          Commet invoiced.
        </p>
      </div>

      <nav className="status-tabs" aria-label="Which period">
        <ul>
          {PERIOD_MODES.map((m) => (
            <li key={m}>
              <Link
                className="status-tab"
                to={searchWith({ mode: m === "current" ? null : m, page: null })}
                aria-current={search.mode === m ? "page" : undefined}
              >
                {MODE_LABELS[m]}
              </Link>
            </li>
          ))}
        </ul>
      </nav>

      <DataTableToolbar
        label="Filter billing periods"
        filterParams={["plan", "status"]}
        keepParams={["mode", "sort", "pageSize"]}
        actions={
          canExport ? (
            <a className="button button--quiet" href={periodExportHref(search)} download data-testid="periods-export">
              Export CSV
            </a>
          ) : null
        }
      >
        <DataTableFacetedFilter
          name="plan"
          label="Plan"
          value={search.plan[0]}
          options={view.plans.map((p) => ({ value: p.id, label: p.name }))}
        />
        <DataTableFacetedFilter
          name="status"
          label="Status"
          value={search.status[0]}
          options={view.statuses.map((s) => ({ value: s, label: statusLabel(s) }))}
        />
      </DataTableToolbar>

      {view.catalogError ? (
        <p className="panel-error" role="alert">
          {view.catalogError}
        </p>
      ) : null}
      {view.invoiceError ? (
        <p className="notice notice--warn" role="status">
          {view.invoiceError}
        </p>
      ) : null}

      <p
        className="muted"
        data-testid="periods-totals"
        data-customers={totals.customers}
        data-amount={totals.amount}
        data-projected={totals.projectedAmount ?? ""}
      >
        {formatQuantity(totals.customers, "customer")} · usage{" "}
        {view.features.map((f, i) => (
          <span key={f.code}>
            {i > 0 ? ", " : ""}
            {f.name} {formatQuantity(totals.usageByFeature[f.code] ?? 0, f.unit)}
          </span>
        ))}{" "}
        · estimated usage charges <strong>{formatMinor(totals.amount, currency)}</strong>
        {totals.projectedAmount !== null ? (
          <> (projected to period end {formatMinor(totals.projectedAmount, currency)})</>
        ) : null}
        {totals.pageInvoicedOverage !== null ? (
          <>
            {" "}
            · this page: estimated {formatMinor(totals.pageAmount, currency)}, invoiced overage{" "}
            <span data-testid="periods-page-invoiced">{formatMinor(totals.pageInvoicedOverage, currency)}</span>
          </>
        ) : null}
        {view.skipped > 0 ? <> · {formatQuantity(view.skipped, "customer")} without such a period left out</> : null}
      </p>

      <DataTable
        table={table}
        caption={`${MODE_LABELS[search.mode]} per customer, page ${view.page}`}
        testId="periods-table"
        loading={loading}
        empty="No customer has a billing period matching these filters."
        rowProps={(r) => ({ "data-customer": r.customerId })}
      />
      <DataTablePagination
        page={view.page}
        pageSize={view.pageSize}
        total={totals.customers}
        pageSizes={[...PERIOD_PAGE_SIZES]}
        noun="customers"
      />

      <section aria-labelledby="periods-assumptions">
        <h2 id="periods-assumptions" className="small">
          How the estimate is made
        </h2>
        <ul className="muted small">
          {view.assumptions.map((a) => (
            <li key={a}>{a}</li>
          ))}
        </ul>
      </section>
    </>
  );
}
