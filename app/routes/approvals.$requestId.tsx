// /approvals/:requestId — one request beside a fresh preview; approve (carrying the preview's fingerprint) or reject.

import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import {
  Form,
  Link,
  useActionData,
  useLoaderData,
  useNavigation,
  type ShouldRevalidateFunction,
} from "@remix-run/react";
import { requireStaff } from "../../server/auth/index.ts";
import { decideApprovalRequest, loadApprovalRequest } from "../../server/approvals/index.ts";
import { RouteErrorBoundary } from "~/components/route-error";
import {
  APPROVAL_STATUS_LABELS,
  decisionStatus,
  rolesLabel,
  type ApprovalPreview,
  type DecisionResult,
} from "~/contracts/approvals";
import { formatUtc } from "~/contracts/format";
import { NO_STORE } from "~/contracts/ops-results";
import { readFormData } from "~/lib/form-body.server";
import approvalsCss from "~/styles/approvals.css?url";

export const meta: MetaFunction = () => [{ title: "Approval request · Commet Ops Console" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: approvalsCss }];

const REQUEST_ID = /^[0-9a-f-]{36}$/;

function requestIdOf(value: string | undefined): string {
  if (!value || !REQUEST_ID.test(value)) throw Response.json({ message: "No such approval request" }, { status: 404 });
  return value;
}

/** approvals:review — the request, the preview it was asked with and one computed now. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "approvals:review");
  const id = requestIdOf(params.requestId);
  const detail = await loadApprovalRequest(id, { actor: { id: staff.id, email: staff.email }, role: staff.role });
  if (!detail) throw Response.json({ message: "No such approval request" }, { status: 404 });
  return detail;
}

/**
 * approvals:review — intent=approve (fingerprint of the fresh preview; acknowledge when it differs),
 * reject (comment), execute (an approved request whose write never began). The policy's roles, and never
 * the requester, are checked on the server: 403; a changed world: 409 with the new preview.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "approvals:review");
  const id = requestIdOf(params.requestId);
  const form = Object.fromEntries(await readFormData(request));
  const result = await decideApprovalRequest(
    id,
    { actor: { id: staff.id, email: staff.email }, role: staff.role },
    form,
  );
  return Response.json(result, { status: decisionStatus(result), headers: NO_STORE });
}

/** A 409 with a new preview (or any refusal) leaves the page stale: read the request again. */
export const shouldRevalidate: ShouldRevalidateFunction = ({ formMethod, defaultShouldRevalidate }) =>
  formMethod?.toUpperCase() === "POST" || defaultShouldRevalidate;

function FactsTable({
  preview,
  labels,
  changed,
  testId,
}: {
  preview: ApprovalPreview;
  labels: string[];
  changed: Set<string>;
  testId: string;
}) {
  return (
    <table className="approval-facts" data-testid={testId}>
      <tbody>
        {labels.map((label) => (
          <tr key={label} className={changed.has(label) ? "is-changed" : undefined} data-label={label}>
            <th scope="row">{label}</th>
            <td>
              {preview.facts.find((f) => f.label === label)?.value ?? "—"}
              {changed.has(label) ? <span className="visually-hidden"> (changed)</span> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const TONE: Record<string, string> = { pending: "warn", approved: "good", rejected: "bad", expired: "muted" };

export default function ApprovalRequestPage() {
  const detail = useLoaderData<typeof loader>();
  const result = useActionData<DecisionResult>();
  const navigation = useNavigation();
  const busy = navigation.state !== "idle";
  const { request: r, original, fresh } = detail;
  const changed = new Set(detail.differences);
  const labels = [...new Set([...original.facts, ...(fresh?.facts ?? [])].map((f) => f.label))];
  const fieldErrors = result?.kind === "refused" ? result.fieldErrors : undefined;

  return (
    <>
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to="/approvals">Approvals</Link> / request
      </nav>
      <div className="page-header">
        <h1>{r.ruleLabel}</h1>
        <p>
          <span className={`status-badge status-badge--${TONE[r.status] ?? "muted"}`} data-testid="approval-status">
            {APPROVAL_STATUS_LABELS[r.status]}
          </span>{" "}
          Asked by <strong>{r.requestedBy}</strong> at {formatUtc(r.requestedAt)}
          {r.customerId ? (
            <>
              {" "}
              for customer <Link to={`/customers/${encodeURIComponent(r.customerId)}`}>{r.customerId}</Link>
            </>
          ) : null}
          .{" "}
          {r.status === "pending"
            ? `${rolesLabel(r.approvers)} may decide until ${formatUtc(r.expiresAt)}.`
            : r.decidedBy
              ? `${APPROVAL_STATUS_LABELS[r.status]} by ${r.decidedBy} at ${formatUtc(r.decidedAt ?? r.requestedAt)}.`
              : `${APPROVAL_STATUS_LABELS[r.status]} at ${formatUtc(r.decidedAt ?? r.expiresAt)}.`}
        </p>
        <p className="muted">
          Idempotency key <code>{r.idempotencyKey}</code> — sent to Commet only when approved.
        </p>
      </div>

      {result ? (
        <p
          className={
            result.kind === "approved" || result.kind === "rejected"
              ? result.kind === "approved" && result.outcome !== "succeeded" && result.outcome !== "already"
                ? "notice notice--warn"
                : "notice"
              : "form-alert"
          }
          role={result.kind === "approved" || result.kind === "rejected" ? "status" : "alert"}
          data-testid="decision-result"
        >
          {result.message}
        </p>
      ) : null}

      {r.status === "rejected" && r.comment ? (
        <p className="notice notice--bad" data-testid="rejection-comment">
          Rejected by {r.decidedBy}: “{r.comment}”
        </p>
      ) : null}
      {r.status === "approved" ? (
        <p className="notice" data-testid="approval-outcome">
          Approved by {r.decidedBy}.{" "}
          {r.outcome === "succeeded"
            ? "Commet applied it."
            : r.outcome === "failed"
              ? "Commet refused it."
              : r.outcome === "pending"
                ? "Commet has not confirmed it yet (outcome unknown): see the audit trail."
                : "The write has not run yet."}{" "}
          {r.writeAuditId ? <Link to={`/audit?customer=${encodeURIComponent(r.customerId)}`}>Audit trail</Link> : null}
        </p>
      ) : null}

      <section className="section" aria-labelledby="compare-title">
        <h2 id="compare-title">What it does</h2>
        {detail.differences.length > 0 ? (
          <p className="notice notice--warn" role="status" data-testid="approval-differences">
            The world changed since it was requested: {detail.differences.join(", ")}. Check the fresh preview.
          </p>
        ) : null}
        {fresh?.blocked ? (
          <p className="notice notice--bad" data-testid="approval-blocked">
            It cannot be approved as it stands: {fresh.blocked}
          </p>
        ) : null}
        {detail.freshError ? (
          <p className="form-alert" role="alert">
            The fresh preview could not be read: {detail.freshError}. Nothing can be approved until it can.
          </p>
        ) : null}
        <div className="approval-compare">
          <div>
            <h3>When requested ({formatUtc(r.requestedAt)})</h3>
            <p className="approval-summary" data-testid="original-summary">
              {original.summary}
            </p>
            <FactsTable preview={original} labels={labels} changed={changed} testId="original-preview" />
          </div>
          <div>
            <h3>{fresh ? "Now (read from Commet just now)" : "Now"}</h3>
            {fresh ? (
              <>
                <p className="approval-summary" data-testid="fresh-summary">
                  {fresh.summary}
                </p>
                <FactsTable preview={fresh} labels={labels} changed={changed} testId="fresh-preview" />
              </>
            ) : (
              <p className="muted">{r.status === "pending" ? "Not available." : "Decided: no fresh preview."}</p>
            )}
          </div>
        </div>
      </section>

      {detail.canDecide && detail.fingerprint ? (
        <section className="section approval-decide" aria-label="Decide">
          <Form method="post" className="panel-card stack-form" aria-label="Approve">
            <h2>Approve</h2>
            <input type="hidden" name="fingerprint" value={detail.fingerprint} />
            {detail.differences.length > 0 ? (
              <div className="approval-ack">
                <input
                  type="checkbox"
                  id="acknowledge"
                  name="acknowledge"
                  aria-invalid={fieldErrors?.acknowledge ? true : undefined}
                  aria-describedby={fieldErrors?.acknowledge ? "acknowledge-error" : undefined}
                />
                <label htmlFor="acknowledge">
                  I have seen what changed ({detail.differences.join(", ")}) and approve the change as it is now.
                </label>
              </div>
            ) : null}
            {fieldErrors?.acknowledge ? (
              <p className="field-error" id="acknowledge-error">
                {fieldErrors.acknowledge[0]}
              </p>
            ) : null}
            <p className="muted">Commet is called once, with the request&apos;s idempotency key.</p>
            <button type="submit" name="intent" value="approve" className="button" disabled={busy || !!fresh?.blocked}>
              Approve and apply
            </button>
          </Form>
          <Form method="post" className="panel-card stack-form" aria-label="Reject">
            <h2>Reject</h2>
            <div className="field">
              <label htmlFor="comment">Why (the requester sees it)</label>
              <textarea
                id="comment"
                name="comment"
                required
                minLength={3}
                maxLength={500}
                aria-invalid={fieldErrors?.comment ? true : undefined}
                aria-describedby={fieldErrors?.comment ? "comment-error" : undefined}
              />
              {fieldErrors?.comment ? (
                <p className="field-error" id="comment-error">
                  {fieldErrors.comment[0]}
                </p>
              ) : null}
            </div>
            <button type="submit" name="intent" value="reject" className="button button--danger" disabled={busy}>
              Reject
            </button>
          </Form>
        </section>
      ) : r.status === "pending" && detail.cannotDecide ? (
        <p className="notice notice--warn" data-testid="cannot-decide">
          {detail.cannotDecide}
        </p>
      ) : null}

      {detail.canExecute ? (
        <Form method="post" className="section">
          <p className="muted">Approved, but the write has not begun (the console stopped in between).</p>
          <button type="submit" name="intent" value="execute" className="button" disabled={busy}>
            Run it now (same key)
          </button>
        </Form>
      ) : null}
    </>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
