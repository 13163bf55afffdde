// /subscriptions — the subscription directory table with counts per status (parse → authorize → one call → render).

import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useNavigation } from "@remix-run/react";
import { createColumnHelper } from "@tanstack/react-table";
import { requireStaff } from "../../server/auth/index.ts";
import { subscriptionsPage } from "../../server/directory/index.ts";
import {
  DataTable,
  DataTableColumnHeader,
  DataTableFacetedFilter,
  DataTablePagination,
  DataTableToolbar,
  type RowsFeatures,
  useSearchWith,
} from "~/components/data-table";
import { RouteErrorBoundary } from "~/components/route-error";
import { StatusBadge, statusLabel } from "~/components/status-badge";
import { SyncBanner } from "~/components/sync-banner";
import { customerHref } from "~/contracts/customer-ref";
import type { IndexedSubscription } from "~/contracts/directory";
import { parseSubscriptionsTable, SUBSCRIPTION_STATUS_OPTIONS, TABLE_PAGE_SIZES } from "~/contracts/directory-search";
import { formatCount, formatDate } from "~/contracts/format";

export const meta: MetaFunction = () => [{ title: "Subscriptions · Commet Ops Console" }];

/** /subscriptions — every subscription in the directory index, with counts per status. */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireStaff(request, "customers:read");
  return subscriptionsPage(parseSubscriptionsTable(new URL(request.url).searchParams));
}

const column = createColumnHelper<RowsFeatures, IndexedSubscription>();

function columnsFor(sort: string) {
  const header = (title: string, sortId?: string) => () => (
    <DataTableColumnHeader title={title} sortId={sortId} sort={sort} />
  );
  return column.columns([
    column.accessor((row) => row.customerName ?? row.customerEmail ?? row.customerRef, {
      id: "customer",
      header: header("Customer", "customer"),
      cell: (info) => {
        const row = info.row.original;
        return (
          <Link to={customerHref(row.customerId ?? row.customerRef)} prefetch="intent">
            {info.getValue()}
          </Link>
        );
      },
    }),
    column.accessor("customerEmail", {
      header: header("Email"),
      cell: (info) => info.getValue() ?? <span className="muted">—</span>,
    }),
    column.accessor("status", {
      header: header("Status", "status"),
      cell: (info) => <StatusBadge status={info.getValue()} />,
    }),
    column.accessor("planName", {
      header: header("Plan", "plan"),
      cell: (info) => info.getValue() ?? <span className="muted">—</span>,
    }),
    column.accessor("seats", {
      header: header("Seats"),
      cell: (info) => {
        const seats = info.getValue();
        const entries = seats ? Object.entries(seats) : [];
        return entries.length ? (
          entries.map(([code, n]) => `${code} ${formatCount(n)}`).join(", ")
        ) : (
          <span className="muted">—</span>
        );
      },
    }),
    column.accessor("startDate", {
      header: header("Started", "started"),
      cell: (info) => {
        const ms = info.getValue();
        if (ms === null) return <span className="muted">—</span>;
        const iso = new Date(ms).toISOString();
        return <time dateTime={iso}>{formatDate(iso)}</time>;
      },
    }),
  ]);
}

const rowId = (row: { id: string }) => row.id;

export default function Subscriptions() {
  const { state, rows, total, plans, counts, sync, now } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  const searchWith = useSearchWith();
  const loading = navigation.state === "loading" && navigation.location.pathname === "/subscriptions";

  return (
    <>
      <div className="page-header">
        <h1>
          Subscriptions <span className="count">{formatCount(counts.total)}</span>
        </h1>
        <p className="muted">
          From the customer index, kept current by Commet&rsquo;s webhooks and a periodic re-sync.
        </p>
      </div>
      <SyncBanner status={sync} now={now} />

      <nav className="status-tabs" aria-label="Subscriptions by status">
        <ul>
          <li>
            <Link
              to={searchWith({ status: null, page: null })}
              aria-current={state.status ? undefined : "page"}
              className="status-tab"
            >
              All <span className="count">{formatCount(counts.total)}</span>
            </Link>
          </li>
          {SUBSCRIPTION_STATUS_OPTIONS.map((s) => (
            <li key={s}>
              <Link
                to={searchWith({ status: s, page: null })}
                aria-current={state.status === s ? "page" : undefined}
                className="status-tab"
                data-testid={`status-count-${s}`}
              >
                {statusLabel(s)} <span className="count">{formatCount(counts.counts[s] ?? 0)}</span>
              </Link>
            </li>
          ))}
        </ul>
      </nav>

      <DataTableToolbar
        label="Filter subscriptions"
        filterParams={["status", "plan"]}
        keepParams={["pageSize", "sort"]}
      >
        <DataTableFacetedFilter
          name="status"
          label="Status"
          value={state.status}
          options={SUBSCRIPTION_STATUS_OPTIONS.map((s) => ({
            value: s,
            label: statusLabel(s),
            count: counts.counts[s] ?? 0,
          }))}
        />
        <DataTableFacetedFilter
          name="plan"
          label="Plan"
          value={state.plan}
          options={plans.map((p) => ({ value: p.planId, label: p.planName ?? p.planId, count: p.subscriptions }))}
        />
      </DataTableToolbar>

      <DataTable
        columns={columnsFor(state.sort)}
        data={rows}
        getRowId={rowId}
        caption={`Subscriptions, page ${state.page}`}
        testId="subscriptions-table"
        loading={loading}
        empty={
          state.status || state.plan ? "No subscription matches these filters." : "No subscriptions in the index yet."
        }
      />
      <DataTablePagination
        page={state.page}
        pageSize={state.pageSize}
        total={total}
        pageSizes={[...TABLE_PAGE_SIZES]}
        noun="subscriptions"
      />
    </>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
