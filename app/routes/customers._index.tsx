// /customers — the customer directory table (parse → authorize → one call → render).

import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useNavigation } from "@remix-run/react";
import { createColumnHelper } from "@tanstack/react-table";
import { requireStaff } from "../../server/auth/index.ts";
import { customersPage } from "../../server/directory/index.ts";
import {
  DataTable,
  DataTableColumnHeader,
  DataTableFacetedFilter,
  DataTablePagination,
  DataTableToolbar,
  type RowsFeatures,
} from "~/components/data-table";
import { RouteErrorBoundary } from "~/components/route-error";
import { StatusBadge, statusLabel } from "~/components/status-badge";
import { SyncBanner } from "~/components/sync-banner";
import { customerHref } from "~/contracts/customer-ref";
import type { IndexedCustomer } from "~/contracts/directory";
import { parseCustomersTable, SUBSCRIPTION_STATUS_OPTIONS, TABLE_PAGE_SIZES } from "~/contracts/directory-search";
import { formatCount, formatDate } from "~/contracts/format";

export const meta: MetaFunction = () => [{ title: "Customers · Commet Ops Console" }];

/** /customers — every customer, from the directory index (server-side sort, filters and paging). */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireStaff(request, "customers:read");
  return customersPage(parseCustomersTable(new URL(request.url).searchParams));
}

const column = createColumnHelper<RowsFeatures, IndexedCustomer>();

function columnsFor(sort: string) {
  const header = (title: string, sortId?: string) => () => (
    <DataTableColumnHeader title={title} sortId={sortId} sort={sort} />
  );
  return column.columns([
    column.accessor((row) => row.fullName ?? "", {
      id: "name",
      header: header("Name", "name"),
      cell: (info) => (
        <Link to={customerHref(info.row.original.id)} prefetch="intent">
          {info.getValue() || <span className="muted">No name</span>}
        </Link>
      ),
    }),
    column.accessor("email", { header: header("Email", "email") }),
    column.accessor("externalId", {
      header: header("External ID"),
      cell: (info) => (info.getValue() ? <code>{info.getValue()}</code> : <span className="muted">—</span>),
    }),
    column.accessor("planName", {
      header: header("Plan", "plan"),
      cell: (info) => info.getValue() ?? <span className="muted">—</span>,
    }),
    column.accessor("subscriptionStatus", {
      header: header("Status", "status"),
      cell: (info) => <StatusBadge status={info.getValue()} />,
    }),
    column.accessor("seatsTotal", {
      header: header("Seats", "seats"),
      cell: (info) => (info.getValue() ? formatCount(info.getValue()) : <span className="muted">—</span>),
    }),
    column.accessor("createdAt", {
      header: header("Created", "created"),
      cell: (info) => {
        const iso = new Date(info.getValue()).toISOString();
        return <time dateTime={iso}>{formatDate(iso)}</time>;
      },
    }),
  ]);
}

const rowId = (row: { id: string }) => row.id;

export default function Customers() {
  const { state, rows, total, plans, counts, sync, now } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  const loading = navigation.state === "loading" && navigation.location.pathname === "/customers";
  const filtered = Boolean(state.status || state.plan);
  const totalCustomers = sync.indexedCustomers;

  return (
    <>
      <div className="page-header">
        <h1>
          Customers <span className="count">{formatCount(totalCustomers)}</span>
        </h1>
        <p className="muted">
          Search with <kbd>/</kbd> or <kbd>Ctrl</kbd>+<kbd>K</kbd>. Each customer&rsquo;s page reads live from Commet.
        </p>
      </div>
      <SyncBanner status={sync} now={now} />

      <DataTableToolbar label="Filter customers" filterParams={["status", "plan"]} keepParams={["pageSize", "sort"]}>
        <DataTableFacetedFilter
          name="status"
          label="Status"
          value={state.status}
          options={[
            ...SUBSCRIPTION_STATUS_OPTIONS.map((s) => ({
              value: s,
              label: statusLabel(s),
              count: counts.counts[s] ?? 0,
            })),
            { value: "none", label: statusLabel("none") },
          ]}
        />
        <DataTableFacetedFilter
          name="plan"
          label="Plan"
          value={state.plan}
          options={plans.map((p) => ({ value: p.planId, label: p.planName ?? p.planId }))}
        />
      </DataTableToolbar>

      <DataTable
        columns={columnsFor(state.sort)}
        data={rows}
        getRowId={rowId}
        caption={`Customers, page ${state.page}`}
        testId="customers-table"
        loading={loading}
        empty={
          filtered
            ? "No customer matches these filters."
            : sync.status === "idle"
              ? "No customers yet. Customers created in Commet appear here."
              : "The index is still being built: customers appear here as the sync reads them."
        }
      />
      <DataTablePagination
        page={state.page}
        pageSize={state.pageSize}
        total={total}
        pageSizes={[...TABLE_PAGE_SIZES]}
        noun="customers"
      />
    </>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
