// /approvals — the four-eyes inbox: requests the reader may decide, their own, and the recently decided.

import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireStaff } from "../../server/auth/index.ts";
import { loadApprovalInbox } from "../../server/approvals/index.ts";
import { RouteErrorBoundary } from "~/components/route-error";
import { APPROVAL_STATUS_LABELS, rolesLabel, type ApprovalRequestView } from "~/contracts/approvals";
import { formatUtc } from "~/contracts/format";
import approvalsCss from "~/styles/approvals.css?url";

export const meta: MetaFunction = () => [{ title: "Approvals · Commet Ops Console" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: approvalsCss }];

/** approvals:review (every role) — what this person may decide is filtered by the policy's roles on the server. */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "approvals:review");
  return loadApprovalInbox({ actor: { id: staff.id, email: staff.email }, role: staff.role });
}

const TONE: Record<string, string> = { pending: "warn", approved: "good", rejected: "bad", expired: "muted" };

function RequestsTable({
  rows,
  caption,
  testId,
  empty,
  decided = false,
}: {
  rows: ApprovalRequestView[];
  caption: string;
  testId: string;
  empty: string;
  decided?: boolean;
}) {
  if (rows.length === 0) return <p className="empty-state empty-state--inline">{empty}</p>;
  return (
    <div className="table-wrap">
      <table className="data-table approvals-table" data-testid={testId}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Request</th>
            <th scope="col">Customer</th>
            <th scope="col">Asked by</th>
            <th scope="col">{decided ? "Decision" : "Expires"}</th>
            <th scope="col">{decided ? "Outcome" : "Approvers"}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-request={r.id}>
              <td>
                <Link to={`/approvals/${r.id}`}>{r.summary}</Link>
                <div className="muted">{r.ruleLabel}</div>
              </td>
              <td>
                <Link to={`/customers/${encodeURIComponent(r.customerId)}`}>{r.customerId}</Link>
              </td>
              <td>
                {r.requestedBy}
                <div className="muted">{formatUtc(r.requestedAt)}</div>
              </td>
              <td>
                {decided ? (
                  <>
                    <span className={`status-badge status-badge--${TONE[r.status] ?? "muted"}`}>
                      {APPROVAL_STATUS_LABELS[r.status]}
                    </span>
                    <div className="muted">
                      {r.decidedBy ? `${r.decidedBy}, ` : ""}
                      {r.decidedAt ? formatUtc(r.decidedAt) : ""}
                    </div>
                  </>
                ) : (
                  formatUtc(r.expiresAt)
                )}
              </td>
              <td>
                {decided
                  ? r.status === "approved"
                    ? (r.outcome ?? "not run yet")
                    : r.status === "rejected"
                      ? `“${r.comment ?? ""}”`
                      : "—"
                  : rolesLabel(r.approvers)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function ApprovalsInbox() {
  const { toDecide, mine, recent } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-header">
        <h1>Approvals</h1>
        <p className="muted">
          Consequential writes wait here for a second person before they reach Commet. Nobody approves their own
          request; each request is compared with a fresh preview before it can be approved.
        </p>
      </div>
      <section className="section" aria-labelledby="to-decide-title">
        <h2 id="to-decide-title">
          Waiting for you <span className="count">{toDecide.length}</span>
        </h2>
        <RequestsTable
          rows={toDecide}
          caption="Requests you may decide"
          testId="approvals-to-decide"
          empty="Nothing waits for your decision."
        />
      </section>
      <section className="section" aria-labelledby="mine-title">
        <h2 id="mine-title">
          Your requests <span className="count">{mine.length}</span>
        </h2>
        <RequestsTable
          rows={mine}
          caption="Your pending requests"
          testId="approvals-mine"
          empty="You have no request waiting."
        />
      </section>
      <section className="section" aria-labelledby="recent-title">
        <h2 id="recent-title">Recently decided</h2>
        <RequestsTable
          rows={recent}
          caption="Recently decided requests"
          testId="approvals-recent"
          empty="No request has been decided yet."
          decided
        />
      </section>
    </>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
