// /invoices — every invoice of the organization: status (overdue included), period, customer, totals, CSV.

import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useNavigation } from "@remix-run/react";
import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import { requireStaff } from "../../server/auth/index.ts";
import { answerCommet } from "../../server/commet/index.ts";
import { invoiceQueue } from "../../server/invoices/index.ts";
import {
  DataTable,
  DataTableColumnHeader,
  DataTableFacetedFilter,
  DataTablePagination,
  DataTableToolbar,
  useSearchWith,
} from "~/components/data-table";
import { RouteErrorBoundary } from "~/components/route-error";
import { StatusBadge, statusLabel } from "~/components/status-badge";
import { customerHref } from "~/contracts/customer-ref";
import { formatCount, formatDate, formatQuantity } from "~/contracts/format";
import {
  INVOICE_QUEUE_PAGE_SIZES,
  INVOICE_QUEUE_STATUSES,
  invoiceQueueFilterString,
  parseInvoiceQueue,
  type InvoiceQueueRow,
} from "~/contracts/invoices";
import { formatMinor } from "~/contracts/money";
import { can } from "~/contracts/permissions";

export const meta: MetaFunction = () => [{ title: "Invoices · Commet Ops Console" }];

/** GET /invoices (customers:read): the queue for the URL's filters, read live from Commet. */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "customers:read");
  const state = parseInvoiceQueue(new URL(request.url).searchParams);
  const answer = await answerCommet(() => invoiceQueue(state));
  return {
    state,
    page: answer.ok ? answer.value : null,
    problem: answer.ok ? null : answer.problem,
    canExport: can(staff.role, "export:csv"),
  };
}

const features = tableFeatures({});
const column = createColumnHelper<typeof features, InvoiceQueueRow>();

const customerLink = (row: InvoiceQueueRow) => customerHref(row.customerExternalId ?? row.customerId);

function useColumns(sort: string) {
  const header = (title: string, sortId?: string) => () => (
    <DataTableColumnHeader title={title} sortId={sortId} sort={sort} />
  );
  return column.columns([
    column.accessor("invoiceNumber", {
      header: header("Invoice", "number"),
      cell: (info) => {
        const row = info.row.original;
        return (
          <Link to={`${customerLink(row)}?invoice=${encodeURIComponent(row.id)}`} prefetch="intent">
            {info.getValue()}
          </Link>
        );
      },
    }),
    column.accessor((row) => row.customerName ?? row.customerEmail ?? row.customerId, {
      id: "customer",
      header: header("Customer", "customer"),
      cell: (info) => {
        const row = info.row.original;
        return (
          <>
            <Link to={customerLink(row)} prefetch="intent">
              {info.getValue()}
            </Link>
            {row.customerName && row.customerEmail ? <div className="muted small">{row.customerEmail}</div> : null}
          </>
        );
      },
    }),
    column.accessor("displayStatus", {
      header: header("Status"),
      cell: (info) => <StatusBadge status={info.getValue()} />,
    }),
    column.accessor("periodStart", {
      header: header("Period"),
      cell: (info) => `${formatDate(info.row.original.periodStart)} – ${formatDate(info.row.original.periodEnd)}`,
    }),
    column.accessor("issueDate", {
      header: header("Issued", "issued"),
      cell: (info) => <time dateTime={info.getValue()}>{formatDate(info.getValue())}</time>,
    }),
    column.accessor("dueDate", {
      header: header("Due", "due"),
      cell: (info) => <time dateTime={info.getValue()}>{formatDate(info.getValue())}</time>,
    }),
    column.accessor("total", {
      header: header("Total", "total"),
      cell: (info) => <span className="num">{formatMinor(info.getValue(), info.row.original.currency)}</span>,
    }),
  ]);
}

export default function Invoices() {
  const { state, page, problem, canExport } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  const searchWith = useSearchWith();
  const loading = navigation.state === "loading" && navigation.location.pathname === "/invoices";
  const table = useTable({ features, columns: useColumns(state.sort), data: page?.rows ?? [], getRowId: (r) => r.id });
  const counts = page?.totals.byStatus ?? {};
  const all = Object.values(counts).reduce((a, n) => a + (n ?? 0), 0);
  const filtered = Boolean(state.status || state.from || state.to || state.customer);

  return (
    <>
      <div className="page-header">
        <h1>
          Invoices <span className="count">{formatCount(page?.totals.count ?? 0)}</span>
        </h1>
        <p className="muted">Read live from Commet. Overdue: outstanding past the due date.</p>
      </div>

      <nav className="status-tabs" aria-label="Invoices by status">
        <ul>
          <li>
            <Link
              to={searchWith({ status: null, page: null })}
              aria-current={state.status ? undefined : "page"}
              className="status-tab"
            >
              All <span className="count">{formatCount(all)}</span>
            </Link>
          </li>
          {INVOICE_QUEUE_STATUSES.map((s) => (
            <li key={s}>
              <Link
                to={searchWith({ status: s, page: null })}
                aria-current={state.status === s ? "page" : undefined}
                className="status-tab"
                data-testid={`invoice-count-${s}`}
              >
                {statusLabel(s)} <span className="count">{formatCount(counts[s] ?? 0)}</span>
              </Link>
            </li>
          ))}
        </ul>
      </nav>

      <DataTableToolbar
        label="Filter invoices"
        filterParams={["status", "from", "to", "customer"]}
        keepParams={["pageSize", "sort"]}
        actions={
          canExport ? (
            <a
              className="button button--quiet"
              href={`/invoices/export.csv${invoiceQueueFilterString(state)}`}
              download
            >
              Export CSV
            </a>
          ) : null
        }
      >
        <DataTableFacetedFilter
          name="status"
          label="Status"
          value={state.status}
          options={INVOICE_QUEUE_STATUSES.map((s) => ({ value: s, label: statusLabel(s), count: counts[s] ?? 0 }))}
        />
        <label>
          Period from
          <input type="date" name="from" defaultValue={state.from ?? ""} />
        </label>
        <label>
          to
          <input type="date" name="to" defaultValue={state.to ?? ""} />
        </label>
        <label>
          Customer
          <input
            type="search"
            name="customer"
            defaultValue={state.customer ?? ""}
            placeholder="Commet id or external id"
            autoComplete="off"
          />
        </label>
      </DataTableToolbar>

      {problem ? (
        <p className="panel-error" role="alert" data-testid="invoices-problem">
          {problem.title}: {problem.message}
        </p>
      ) : (
        <>
          {page && page.totals.byCurrency.length > 0 ? (
            <p className="muted" data-testid="invoice-totals">
              {page.totals.byCurrency
                .map(
                  (c) =>
                    `${formatMinor(c.total, c.currency)} invoiced` +
                    (c.outstanding ? `, ${formatMinor(c.outstanding, c.currency)} outstanding` : ""),
                )
                .join(" · ")}{" "}
              over {formatQuantity(page.totals.count, "invoice")}.
            </p>
          ) : null}
          {page?.truncated ? (
            <p className="notice" role="status">
              Showing the first {formatCount(page.scanned)} invoices Commet lists; narrow by customer to see the rest.
            </p>
          ) : null}
          <DataTable
            table={table}
            caption={`Invoices, page ${page?.state.page ?? 1}`}
            testId="invoices-table"
            loading={loading}
            empty={filtered ? "No invoice matches these filters." : "No invoices yet."}
          />
          <DataTablePagination
            page={page?.state.page ?? 1}
            pageSize={state.pageSize}
            total={page?.totals.count ?? 0}
            pageSizes={[...INVOICE_QUEUE_PAGE_SIZES]}
            noun="invoices"
          />
        </>
      )}
    </>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
