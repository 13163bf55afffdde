import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useLocation, useNavigation } from "@remix-run/react";
import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import { z } from "zod";
import { can, requireStaff } from "../../server/auth/index.ts";
import {
  AUDIT_STATUS_LABELS,
  AUDIT_STATUSES,
  auditOutcome,
  getAuditEntry,
  listAudit,
  parseAuditSearch,
} from "../../server/audit/index.ts";
import { resolvePendingWrite, writeActionNamed } from "../../server/writes/index.ts";
import { DataTable, DataTableFacetedFilter, DataTablePagination, DataTableToolbar } from "~/components/data-table";
import { RouteErrorBoundary } from "~/components/route-error";

export const meta: MetaFunction = () => [{ title: "Audit trail · Commet Ops Console" }];

type Outcome = "in_flight" | "unknown" | "succeeded" | "failed";

/** One audit row as the browser sees it (params are redacted when stored). */
type AuditRowView = {
  id: string;
  createdAt: number;
  finalizedAt: number | null;
  actorEmail: string;
  role: string | null;
  action: string;
  customerId: string | null;
  idempotencyKey: string;
  outcome: Outcome;
  outcomeLabel: string;
  details: string;
  error: string | null;
  commetIds: string | null;
  /** May this staff member retry it with the same key (pending seat/usage write, own permission)? */
  canRetry: boolean;
};

const OUTCOME_LABELS: Record<Outcome, string> = {
  in_flight: "In progress",
  unknown: AUDIT_STATUS_LABELS.pending,
  succeeded: AUDIT_STATUS_LABELS.succeeded,
  failed: AUDIT_STATUS_LABELS.failed,
};

/** The permission a pending write of this action needs to be retried (undefined: not an exactly-once write). */
function retryPermission(action: string) {
  return writeActionNamed(action)?.permission;
}

function canRetry(role: Parameters<typeof can>[0], action: string): boolean {
  const permission = retryPermission(action);
  return permission !== undefined && can(role, permission);
}

/** A short "key: value · …" line of a row's (already redacted) params; the CSV has them whole. */
function summarize(params: Record<string, unknown>): string {
  const skip = new Set(["request", "form", "userAgent", "staffId"]);
  const parts = Object.entries(params)
    .filter(([key, value]) => !skip.has(key) && value !== null && value !== undefined && value !== "")
    .map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`);
  const text = parts.join(" · ");
  return text.length > 140 ? `${text.slice(0, 137)}…` : text;
}

/** audit:read — the trail, filtered and paged on the server (filters and page in the URL). */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "audit:read");
  const url = new URL(request.url);
  const { filters } = parseAuditSearch(url.searchParams);
  const search = parseAuditSearch(url.searchParams).paging;
  const paging = { pageSize: search.pageSize, page: "page" in search ? search.page : 1 };
  const result = await listAudit(filters, paging);
  const now = Date.now();
  const rows: AuditRowView[] = result.rows.map((entry) => {
    const outcome = auditOutcome(entry, now);
    return {
      id: entry.id,
      createdAt: entry.createdAt,
      finalizedAt: entry.finalizedAt,
      actorEmail: entry.actor.email,
      role: entry.role,
      action: entry.action,
      customerId: entry.customerId,
      idempotencyKey: entry.idempotencyKey,
      outcome,
      outcomeLabel: OUTCOME_LABELS[outcome],
      details: summarize(entry.params),
      error: entry.errorCode ? `${entry.errorCode}${entry.errorMessage ? `: ${entry.errorMessage}` : ""}` : null,
      commetIds:
        entry.commetIds && Object.keys(entry.commetIds).length ? Object.values(entry.commetIds).join(", ") : null,
      canRetry: outcome === "unknown" && canRetry(staff.role, entry.action),
    };
  });
  const params = Object.fromEntries(url.searchParams);
  return {
    rows,
    total: result.total,
    page: paging.page,
    pageSize: paging.pageSize,
    search: {
      actor: params.actor ?? "",
      action: params.action ?? "",
      customer: params.customer ?? "",
      status: filters.status,
      from: params.from ?? "",
      to: params.to ?? "",
    },
    canExport: can(staff.role, "export:csv"),
    statusOptions: AUDIT_STATUSES.map((status) => ({ value: status, label: AUDIT_STATUS_LABELS[status] })),
  };
}

const actionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("check"), auditId: z.string().trim().min(1).max(100) }),
  z.object({ intent: z.literal("retry"), auditId: z.string().trim().min(1).max(100) }),
]);

type ActionResult = { auditId: string; tone: "good" | "warn" | "bad"; message: string };

/**
 * audit:read, then per intent:
 *   check — re-reads the row (a write finished elsewhere, or by another console, shows its outcome);
 *   retry — a pending seat/usage write: calls Commet again with the stored request and the SAME
 *           idempotency key, then finalizes the row (server/writes resolvePendingWrite); needs the
 *           permission of the original action. Other pending actions have no retry.
 * Nothing else in the trail can change: the app only ever finalizes a pending row.
 */
export async function action({ request }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "audit:read");
  const parsed = actionSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) {
    return data({ error: z.flattenError(parsed.error).fieldErrors, result: null }, { status: 400 });
  }
  const { intent, auditId } = parsed.data;
  const entry = await getAuditEntry(auditId);
  if (!entry) throw data("No such audit entry", { status: 404 });

  if (intent === "check" || entry.status !== "pending") {
    const outcome = auditOutcome(entry);
    const result: ActionResult = {
      auditId,
      tone: outcome === "succeeded" ? "good" : outcome === "failed" ? "bad" : "warn",
      message:
        entry.status === "pending"
          ? `Still no outcome for ${entry.action} (key ${entry.idempotencyKey}).${retryPermission(entry.action) ? " It can be retried with the same key — Commet will not apply it twice." : " This action is not retried from the console."}`
          : `${entry.action} is final: ${AUDIT_STATUS_LABELS[entry.status]}${entry.errorCode ? ` (${entry.errorCode})` : ""}.`,
    };
    return { error: null, result };
  }

  const permission = retryPermission(entry.action);
  if (!permission) {
    return data(
      {
        error: null,
        result: {
          auditId,
          tone: "bad",
          message: `${entry.action} cannot be retried from the console.`,
        } satisfies ActionResult,
      },
      { status: 400 },
    );
  }
  if (!can(staff.role, permission)) {
    throw data(`Your role (${staff.role}) may not retry ${entry.action}.`, { status: 403 });
  }
  const outcome = await resolvePendingWrite(auditId, { actor: { id: staff.id, email: staff.email }, role: staff.role });
  const tone: ActionResult["tone"] =
    outcome.kind === "ok" || outcome.kind === "already_recorded"
      ? "good"
      : outcome.kind === "in_progress"
        ? "warn"
        : "bad";
  if (outcome.kind === "forbidden") throw data(outcome.message, { status: 403 });
  return { error: null, result: { auditId, tone, message: outcome.message } satisfies ActionResult };
}

const features = tableFeatures({});
const column = createColumnHelper<typeof features, AuditRowView>();

const utc = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 19);

function OutcomeBadge({ outcome, label }: { outcome: Outcome; label: string }) {
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
    header: "When (UTC)",
    cell: (info) => <time dateTime={new Date(info.getValue()).toISOString()}>{utc(info.getValue())}</time>,
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
    cell: (info) => (info.getValue() ? <code>{info.getValue()}</code> : <span className="muted">—</span>),
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
  const { rows, total, page, pageSize, search, canExport, statusOptions } = useLoaderData<typeof loader>();
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
          Every write and sign-in, recorded before it happens and finalized once. Nothing here can be edited or deleted.
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
            <>Nothing recorded yet. Sign-ins, staff changes and every write to Commet appear here.</>
          )
        }
      />
      <DataTablePagination page={page} pageSize={pageSize} total={total} noun="entries" />
    </>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
