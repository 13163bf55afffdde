import { Form } from "@remix-run/react";
import { DriftBadge } from "~/components/usage/drift-badge";
import { formatUtc } from "~/contracts/format";
import type { UsageExplorerPage } from "~/contracts/usage";
import { CustomerCell } from "./customer-cell";

export interface ReconcileSummary {
  checked: number;
  drifted: number;
  failed: number;
}

/** Finance's drift list (as last checked) and the button that re-checks everyone against Commet. */
export function DriftSection({
  drift,
  reconciled,
  reconciling,
}: {
  drift: UsageExplorerPage["drift"];
  reconciled: ReconcileSummary | null;
  reconciling: boolean;
}) {
  return (
    <section className="usage-section" aria-labelledby="usage-drift">
      <h2 id="usage-drift">Drifted customers</h2>
      <p className="muted small">
        Customers whose timeline for the current period differs from Commet's live counters, as last checked (largest
        difference first).
      </p>
      <Form method="post" className="toolbar">
        <button type="submit" name="intent" value="reconcile" className="button button--quiet" disabled={reconciling}>
          {reconciling ? "Checking against Commet…" : "Check all against Commet now"}
        </button>
        {reconciled ? (
          <span role="status" className="muted">
            Checked {reconciled.checked} customers: {reconciled.drifted} drifted
            {reconciled.failed ? `, ${reconciled.failed} could not be checked` : ""}.
          </span>
        ) : null}
      </Form>
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
