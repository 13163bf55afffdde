/**
 * /audit — the audit trail, filtered and paged on the server, with re-check and retry of pending writes
 * (docs/decisions/0005-write-ahead-audit.md).
 */

import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useLocation, useNavigation } from "@remix-run/react";
import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import { z } from "zod";
import { requireStaff } from "../../server/auth/index.ts";
import { loadAuditTrail, runAuditIntent } from "../../server/audit/trail-screen.ts";
import { DataTable, DataTableFacetedFilter, DataTablePagination, DataTableToolbar } from "~/components/data-table";
import { RouteErrorBoundary } from "~/components/route-error";
import { auditIntentSchema, type AuditRowOutcome, type AuditRowView } from "~/contracts/audit-trail";
import { formatUtc } from "~/contracts/format";
import { readFormData } from "~/lib/form-body.server";

export const meta: MetaFunction = () => [{ title: "Audit trail · Commet Ops Console" }];

/** audit:read — the trail, filtered and paged on the server (filters and page in the URL). */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "audit:read");
  return loadAuditTrail(staff, new URL(request.url).searchParams);
}

/** audit:read, then check a pending row again or retry its write with the same key. */
export async function action({ request }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "audit:read");
  const parsed = auditIntentSchema.safeParse(Object.fromEntries(await readFormData(request)));
  if (!parsed.success) {
    return data({ error: z.flattenError(parsed.error).fieldErrors, result: null }, { status: 400 });
  }
  const { status, result, message } = await runAuditIntent(staff, parsed.data);
  if (!result) throw data(message, { status });
  return data({ error: null, result }, { status });
}

const features = tableFeatures({});
const column = createColumnHelper<typeof features, AuditRowView>();

function OutcomeBadge({ outcome, label }: { outcome: AuditRowOutcome; label: string }) {
  return (
    <span className={`audit-status audit-status--${outcome}`} data-testid="audit-status">
      {label}
    </span>
  );
}

function PendingActions({ row }: { row: AuditRowView }) {
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" && navigation.formData?.get("auditId") === row.id;
  if (row.outcome !== "unknown") return null;
  return (
    <Form method="post" className="audit-actions" preventScrollReset>
      <input type="hidden" name="auditId" value={row.id} />
      <button type="submit" name="intent" value="check" className="button button--quiet button--small" disabled={busy}>
        Check again
      </button>
      {row.canRetry ? (
        <button type="submit" name="intent" value="retry" className="button button--small" disabled={busy}>
          {busy ? "Retrying…" : "Retry with the same key"}
        </button>
      ) : null}
    </Form>
  );
}

const columns = column.columns([
  column.accessor("createdAt", {
    header: "When",
    cell: (info) => (
      <time dateTime={new Date(info.getValue()).toISOString()}>{formatUtc(info.getValue(), { seconds: true })}</time>
    ),
  }),
  column.accessor("actorEmail", {
    header: "Actor",
    cell: (info) => (
      <>
        {info.getValue()}
        {info.row.original.role ? <span className="muted"> · {info.row.original.role}</span> : null}
      </>
    ),
  }),
  column.accessor("action", { header: "Action", cell: (info) => <code>{info.getValue()}</code> }),
  column.accessor("customerId", {
    header: "Customer",
    cell: (info) => {
      const id = info.getValue();
      const externalId = info.row.original.customerExternalId;
      if (!id) return <span className="muted">—</span>;
      return (
        <>
          <code>{id}</code>
          {externalId ? (
            <span className="muted" data-testid="audit-external-id">
              {" "}
              · {externalId}
            </span>
          ) : null}
        </>
      );
    },
  }),
  column.accessor("outcome", {
    header: "Status",
    cell: (info) => (
      <div className="audit-outcome">
        <OutcomeBadge outcome={info.getValue()} label={info.row.original.outcomeLabel} />
        <PendingActions row={info.row.original} />
      </div>
    ),
  }),
  column.accessor("details", {
    header: "Details",
    cell: (info) => {
      const row = info.row.original;
      return (
        <div className="audit-details">
          {row.error ? <span className="audit-details__error">{row.error}</span> : null}
          {row.commetIds ? <span className="muted">ids: {row.commetIds}</span> : null}
          {row.details ? <span className="audit-details__params">{row.details}</span> : null}
          <span className="muted audit-details__key" title={row.idempotencyKey}>
            key{" "}
            <code>{row.idempotencyKey.length > 24 ? `${row.idempotencyKey.slice(0, 22)}…` : row.idempotencyKey}</code>
          </span>
        </div>
      );
    },
  }),
]);

export default function AuditTrail() {
  const { rows, total, page, pageSize, search, canExport, statusOptions, showsSecurityEvents } =
    useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const location = useLocation();
  const loading = navigation.state === "loading" && navigation.location.pathname === "/audit";
  const table = useTable({ features, columns, data: rows, getRowId: (row) => row.id });
  const result = actionData?.result ?? null;
  const filtered = Object.values(search).some(Boolean);

  return (
    <>
      <div className="page-header">
        <h1>Audit trail</h1>
        <p className="muted">
          {showsSecurityEvents
            ? "Every write and sign-in, recorded before it happens and finalized once."
            : "Every write to Commet, recorded before it happens and finalized once (sign-ins and staff changes: admins only)."}{" "}
          Nothing here can be edited or deleted.
        </p>
      </div>

      <DataTableToolbar
        label="Filter the audit trail"
        filterParams={["actor", "action", "customer", "status", "from", "to"]}
        keepParams={["pageSize"]}
        actions={
          canExport ? (
            <a className="button button--quiet" href={`/audit/export.csv${location.search}`} download>
              Export CSV
            </a>
          ) : null
        }
      >
        <label>
          Actor
          <input type="search" name="actor" defaultValue={search.actor} placeholder="email or part of it" />
        </label>
        <label>
          Action
          <input
            type="search"
            name="action"
            defaultValue={search.action}
            placeholder="e.g. seats.change or staff."
            className="input--narrow"
          />
        </label>
        <label>
          Customer
          <input
            type="search"
            name="customer"
            defaultValue={search.customer}
            placeholder="Commet or external ID"
            className="input--narrow"
          />
        </label>
        <DataTableFacetedFilter name="status" label="Status" value={search.status} options={statusOptions} />
        <label>
          From
          <input type="date" name="from" defaultValue={search.from} />
        </label>
        <label>
          To
          <input type="date" name="to" defaultValue={search.to} />
        </label>
      </DataTableToolbar>

      {result ? (
        <p className={`notice notice--${result.tone}`} role="status" data-testid="audit-result">
          {result.message}
        </p>
      ) : null}

      <DataTable
        table={table}
        caption={`Audit trail, page ${page}`}
        testId="audit-table"
        loading={loading}
        rowProps={(row) => ({ "data-outcome": row.outcome, "data-audit-id": row.id })}
        empty={
          filtered ? (
            <>No audit entries match these filters.</>
          ) : (
            <>
              Nothing recorded yet.{" "}
              {showsSecurityEvents
                ? "Sign-ins, staff changes and every write to Commet appear here."
                : "Every write to Commet appears here."}
            </>
          )
        }
      />
      <DataTablePagination page={page} pageSize={pageSize} total={total} noun="entries" />
    </>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
