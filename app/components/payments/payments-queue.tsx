/**
 * The /payments queue: Commet's charges across the organization, failed charges of past-due customers
 * first, with the amount at risk, URL filters (status, date range, plan), paging and a CSV export.
 */

import { Link } from "@remix-run/react";
import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import {
  DataTable,
  DataTableFacetedFilter,
  DataTablePagination,
  DataTableToolbar,
  useSearchWith,
} from "~/components/data-table";
import { FormAlert } from "~/components/form-field";
import { StatusBadge, statusLabel } from "~/components/status-badge";
import { customerHref } from "~/contracts/customer-ref";
import { formatCount, formatDate, formatUtc } from "~/contracts/format";
import { formatMinor } from "~/contracts/money";
import {
  PAYMENTS_PAGE_SIZES,
  TRANSACTION_STATUSES,
  type PaymentQueueRow,
  type PaymentsQueue,
} from "~/contracts/payments";
import "~/styles/payments.css";

const features = tableFeatures({});
const column = createColumnHelper<typeof features, PaymentQueueRow>();

const columns = column.columns([
  column.accessor("createdAt", {
    header: () => "Date",
    cell: (info) => (
      <time dateTime={info.getValue()} title={formatUtc(info.getValue())}>
        {formatDate(info.getValue())}
      </time>
    ),
  }),
  column.accessor((row) => row.customerName ?? row.customerEmail ?? "—", {
    id: "customer",
    header: () => "Customer",
    cell: (info) => {
      const row = info.row.original;
      const label = info.getValue();
      return row.customerId ? (
        <Link to={customerHref(row.customerId)} prefetch="intent">
          {label}
        </Link>
      ) : (
        <span title="Not in the console's customer index yet">{label}</span>
      );
    },
  }),
  column.accessor("amount", {
    header: () => <span className="num">Amount</span>,
    cell: (info) => {
      const row = info.row.original;
      return <span className="num">{row.amount === null ? "—" : formatMinor(row.amount, row.currency)}</span>;
    },
  }),
  column.accessor("status", {
    header: () => "Payment",
    cell: (info) => (
      <>
        <StatusBadge status={info.getValue()} />
        {info.row.original.atRisk ? <span className="visually-hidden"> (at risk)</span> : null}
      </>
    ),
  }),
  column.accessor("subscriptionStatus", {
    header: () => "Subscription",
    cell: (info) => (info.getValue() ? <StatusBadge status={info.getValue()} /> : <span className="muted">—</span>),
  }),
  column.accessor("planName", {
    header: () => "Current plan",
    cell: (info) => info.getValue() ?? <span className="muted">—</span>,
  }),
  column.accessor("invoiceId", {
    header: () => "Invoice",
    cell: (info) => (info.getValue() ? <code>{info.getValue()}</code> : <span className="muted">—</span>),
  }),
]);

export function PaymentsQueueView({
  queue,
  canExport,
  loading,
}: {
  queue: PaymentsQueue;
  canExport: boolean;
  loading: boolean;
}) {
  const { state, rows, total, atRisk, counts, plans, coverage, rangeError } = queue;
  const riskTotal = atRisk.reduce((n, r) => n + r.count, 0);
  const searchWith = useSearchWith();
  const table = useTable({ features, columns, data: rows, getRowId: (row) => row.id });
  const filtered = Boolean(state.status || state.from || state.to || state.plan);
  const incomplete = coverage.statuses.filter((s) => !s.complete);
  const exportHref = searchWith({ page: null, pageSize: null }).replace(/^\/payments/, "/payments/export.csv");
  return (
    <>
      <div className="page-header">
        <h1>
          Payments <span className="count">{formatCount(total)}</span>
        </h1>
        <p className="muted">
          Charges read live from Commet — failed charges of past-due customers first, then failed, disputed, pending,
          refunded and succeeded, newest first. Plan and subscription status come from the customer index.
        </p>
      </div>

      <div className="payments-summary" data-testid="payments-summary">
        <div className={`payments-summary__item${riskTotal > 0 ? " payments-summary__item--risk" : ""}`}>
          <span className="muted">Amount at risk</span>
          <strong data-testid="amount-at-risk">
            {atRisk.length === 0
              ? formatMinor(0, "usd")
              : atRisk.map((r) => formatMinor(r.amount, r.currency)).join(" + ")}
          </strong>
          <span className="muted">
            {formatCount(riskTotal)} failed {riskTotal === 1 ? "charge" : "charges"} of past-due customers
          </span>
        </div>
        {(["failed", "disputed", "refunded"] as const).map((s) => (
          <div className="payments-summary__item" key={s}>
            <span className="muted">{statusLabel(s)}</span>
            <strong>{formatCount(counts[s] ?? 0)}</strong>
          </div>
        ))}
      </div>

      <DataTableToolbar
        label="Filter payments"
        filterParams={["status", "from", "to", "plan"]}
        keepParams={["pageSize"]}
        actions={
          canExport ? (
            <a className="button button--quiet" href={exportHref} download data-testid="payments-export">
              Export CSV
            </a>
          ) : null
        }
      >
        <DataTableFacetedFilter
          name="status"
          label="Payment status"
          value={state.status}
          options={TRANSACTION_STATUSES.map((s) => ({ value: s, label: statusLabel(s) }))}
        />
        <label>
          From (UTC)
          <input type="date" name="from" defaultValue={state.from ?? ""} />
        </label>
        <label>
          To (UTC)
          <input type="date" name="to" defaultValue={state.to ?? ""} />
        </label>
        <DataTableFacetedFilter
          name="plan"
          label="Plan"
          value={state.plan}
          options={plans.map((p) => ({ value: p.planId, label: p.planName ?? p.planId }))}
        />
      </DataTableToolbar>

      <FormAlert message={rangeError} testId="payments-range-error" />
      <DataTable
        table={table}
        caption={`Payments, page ${state.page}`}
        testId="payments-queue"
        loading={loading}
        empty={filtered ? "No payment matches these filters." : "Commet has no payments yet."}
      />
      <DataTablePagination
        page={state.page}
        pageSize={state.pageSize}
        total={total}
        pageSizes={[...PAYMENTS_PAGE_SIZES]}
        noun="payments"
      />
      <p className="muted payments-coverage" data-testid="payments-coverage">
        What this covers: up to {formatCount(coverage.perStatusLimit)} of Commet&rsquo;s transactions per status, read
        page by page when the queue opens.{" "}
        {incomplete.length === 0
          ? "Every transaction of the statuses shown was read."
          : `Commet has more ${incomplete.map((s) => statusLabel(s.status).toLowerCase()).join(", ")} transactions than that: the oldest beyond the limit are not shown — filter by status to focus.`}
      </p>
    </>
  );
}
