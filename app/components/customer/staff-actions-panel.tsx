// The customer page's "Recent staff actions" panel, read from the console's audit trail.

import { Link } from "@remix-run/react";
import type { PanelResult, StaffActionView } from "~/contracts/customer-view";
import { formatUtc } from "~/contracts/format";
import { StatusBadge } from "../status-badge";
import { Panel } from "./panel";

/** This customer's recent staff actions, from the console's audit trail. */
export function StaffActionsPanel({
  resolve,
  auditHref,
}: {
  resolve: Promise<PanelResult<StaffActionView[]>>;
  /** Link to the full audit trail filtered on this customer (null when the role may not read it). */
  auditHref: string | null;
}) {
  return (
    <Panel
      title="Recent staff actions"
      name="staff-actions"
      resolve={resolve}
      skeletonRows={2}
      className="panel--span2"
    >
      {(actions) =>
        actions.length > 0 ? (
          <>
            <table className="mini-table">
              <caption className="visually-hidden">Recent staff actions on this customer</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {actions.map((a) => (
                  <tr key={a.id}>
                    <td>
                      <time dateTime={new Date(a.createdAt).toISOString()}>{formatUtc(a.createdAt)}</time>
                    </td>
                    <td>
                      {a.actorEmail}
                      {a.role ? <span className="muted"> ({a.role})</span> : null}
                    </td>
                    <td>
                      <code>{a.action}</code>
                    </td>
                    <td>
                      <StatusBadge status={a.status} />
                      {a.errorCode ? <span className="muted"> {a.errorCode}</span> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {auditHref ? (
              <p>
                <Link to={auditHref}>All actions on this customer →</Link>
              </p>
            ) : null}
          </>
        ) : (
          <p className="muted">No staff actions on this customer yet.</p>
        )
      }
    </Panel>
  );
}
