// /writes/mine — the signed-in staff member's writes whose outcome Commet has not confirmed yet.

import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { requireStaff } from "../../server/auth/index.ts";
import { myUnsettledWrites } from "../../server/writes/index.ts";
import { unsettledDetail } from "~/components/writes/unsettled-writes";
import { RouteErrorBoundary } from "~/components/route-error";
import { customerHref } from "~/contracts/customer-ref";
import { formatUtc } from "~/contracts/format";
import { UNSETTLED_STATE_LABELS } from "~/contracts/unsettled-writes";

export const meta: MetaFunction = () => [{ title: "My unsettled writes · Commet Ops Console" }];

/** audit:read (every role) — the reader's own pending writes, with what the resolver is doing about each. */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "audit:read");
  return { writes: await myUnsettledWrites(staff.id) };
}

export default function MyUnsettledWrites() {
  const { writes } = useLoaderData<typeof loader>();
  const revalidator = useRevalidator();
  const pending = writes.length > 0;
  // While something is unsettled the list refreshes itself: rows leave it as Commet confirms them.
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(() => {
      if (revalidator.state === "idle" && document.visibilityState === "visible") revalidator.revalidate();
    }, 10_000);
    return () => clearInterval(timer);
  }, [pending, revalidator]);
  return (
    <>
      <div className="page-header">
        <h1>My unsettled writes</h1>
        <p className="muted">
          Writes you made whose outcome Commet has not confirmed (a timeout or a server error after sending). The
          console re-sends each with its own idempotency key until Commet answers — it cannot apply twice — and hands it
          to a person before Commet&apos;s 24-hour idempotency window closes.
        </p>
      </div>
      {pending ? (
        <table className="data-table" data-testid="unsettled-writes">
          <caption className="visually-hidden">Your writes awaiting Commet&apos;s confirmation</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Write</th>
              <th scope="col">Customer</th>
              <th scope="col">State</th>
              <th scope="col">What happens</th>
            </tr>
          </thead>
          <tbody>
            {writes.map((w) => (
              <tr key={w.auditId}>
                <td>
                  <time dateTime={new Date(w.createdAt).toISOString()}>{formatUtc(w.createdAt)}</time>
                </td>
                <td className="unsettled-write">
                  {w.what}
                  <br />
                  <code className="muted">{w.idempotencyKey}</code>
                </td>
                <td>{w.customerId ? <Link to={customerHref(w.customerId)}>{w.customerId}</Link> : "—"}</td>
                <td>
                  <span className={`unsettled-state unsettled-state--${w.state}`}>
                    {UNSETTLED_STATE_LABELS[w.state]}
                  </span>
                </td>
                <td className="unsettled-detail">{unsettledDetail(w)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="notice notice--good" data-testid="unsettled-writes-empty">
          Nothing unsettled: Commet has confirmed every write you made.
        </p>
      )}
      <p>
        <Link to="/audit?status=pending">Every write with an unknown outcome (audit trail) →</Link>
      </p>
    </>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
