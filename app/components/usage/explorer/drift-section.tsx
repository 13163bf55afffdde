/**
 * The usage explorer's drift section: customers whose timeline differs from Commet, and the re-check of everyone
 * (docs/decisions/0008-usage-timeline.md).
 */

import { useFetcher, useRevalidator } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { DriftBadge } from "~/components/usage/drift-badge";
import { formatUtc } from "~/contracts/format";
import type { ReconcileSweepAnswer, ReconcileSweepStatus, UsageExplorerPage } from "~/contracts/usage";
import { CustomerCell } from "./customer-cell";

/** Finance's drift list (as last checked) and the button that re-checks everyone against Commet. */
export function DriftSection({ drift }: { drift: UsageExplorerPage["drift"] }) {
  return (
    <section className="usage-section" aria-labelledby="usage-drift">
      <h2 id="usage-drift">Drifted customers</h2>
      <p className="muted small">
        Customers whose timeline for the current period differs from Commet's live counters, as last checked (largest
        difference first).
      </p>
      <SweepControl />
      {drift.rows.length === 0 ? (
        <p className="empty-state" data-testid="drift-empty">
          No drifted customer in the last checks.
        </p>
      ) : (
        <table className="data-table" data-testid="drift-list">
          <caption className="visually-hidden">Drifted customers</caption>
          <thead>
            <tr>
              <th scope="col">Customer</th>
              <th scope="col">Difference</th>
              <th scope="col">Checked</th>
            </tr>
          </thead>
          <tbody>
            {drift.rows.map((x) => (
              <tr key={x.customerId}>
                <td>
                  <CustomerCell customerRef={x.customerId} labels={drift.labels} />
                </td>
                <td>
                  <DriftBadge drift={x} />
                </td>
                <td>{formatUtc(x.checkedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The later of two snapshots of the run (the POST's answer and the last poll). */
function latest(a: ReconcileSweepStatus | undefined, b: ReconcileSweepStatus | undefined) {
  const rank = (s: ReconcileSweepStatus) => [s.startedAt ?? 0, s.finishedAt === null ? 0 : 1, s.checked];
  if (!a || !b) return a ?? b ?? null;
  const [x, y] = [rank(a), rank(b)];
  const i = x.findIndex((v, k) => v !== y[k]);
  return i >= 0 && x[i]! > y[i]! ? a : b;
}

/** The "check all against Commet" button and its run's progress (polled while it runs). */
function SweepControl() {
  const starter = useFetcher<ReconcileSweepAnswer>();
  const poller = useFetcher<ReconcileSweepStatus>();
  const { revalidate } = useRevalidator();
  const watching = useRef(false);
  const { load } = poller;
  useEffect(() => {
    void load("/usage/reconcile");
  }, [load]);
  const status = latest(starter.data?.status, poller.data);
  const state = status?.state;
  useEffect(() => {
    if (state === "running") {
      watching.current = true;
      const timer = setTimeout(() => void load("/usage/reconcile"), 1000);
      return () => clearTimeout(timer);
    }
    // The run we watched has ended: the drifted list below is read again.
    if (watching.current) {
      watching.current = false;
      revalidate();
    }
  }, [status, state, load, revalidate]);
  const refused = starter.state === "idle" ? starter.data?.refused : null;
  const running = state === "running" || starter.state !== "idle";
  // A submission interrupts the poller's load in flight, and Remix leaves that aborted request's rejection
  // unhandled in the browser: start a run only once the current status has arrived.
  const reading = poller.state !== "idle";
  return (
    <starter.Form method="post" action="/usage/reconcile" className="toolbar">
      <button type="submit" className="button button--quiet" disabled={running || reading} aria-busy={reading}>
        {running ? "Checking against Commet…" : "Check all against Commet now"}
      </button>
      {status && state === "running" ? (
        <span role="status" className="muted" data-testid="reconcile-progress">
          {status.total ? `Checked ${status.checked} of ${status.total} customers` : "Listing the customers to check"}
          {status.startedBy ? ` (started by ${status.startedBy})` : ""}…{" "}
          {status.total ? <progress max={status.total} value={status.checked} /> : null}
        </span>
      ) : status && state === "done" ? (
        <span role="status" className="muted">
          Checked {status.checked} customers: {status.drifted} drifted
          {status.failed ? `, ${status.failed} could not be checked` : ""}
          {status.finishedAt ? ` (finished ${formatUtc(status.finishedAt)})` : ""}.
          {refused === "too_soon" && status.nextRunAt
            ? ` Checked recently: the next check can start after ${formatUtc(status.nextRunAt)}.`
            : ""}
        </span>
      ) : status && state === "failed" ? (
        <span role="alert" className="panel-error">
          The check stopped: {status.error}
        </span>
      ) : null}
    </starter.Form>
  );
}
