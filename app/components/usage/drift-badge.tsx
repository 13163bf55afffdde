/**
 * Badge for whether the usage timeline agrees with Commet's live counters (reconciliation)
 * (docs/decisions/0008-usage-timeline.md).
 */

import { formatQuantity, formatUtc } from "~/contracts/format";
import type { Reconciliation } from "~/contracts/usage";

/**
 * Whether the console's usage timeline agrees with Commet's live counters for the current period.
 * Drifted shows which features differ and by how much (Commet − timeline).
 */
export function DriftBadge({
  drift,
}: {
  drift: Pick<Reconciliation, "status" | "checkedAt" | "maxAbsDiff" | "features"> | null;
}) {
  if (!drift)
    return (
      <span className="badge badge--muted" data-testid="drift-badge" data-status="unchecked">
        Not reconciled yet
      </span>
    );
  const checked = `checked ${formatUtc(drift.checkedAt)}`;
  if (drift.status === "no_period") {
    return (
      <span className="badge badge--muted" data-testid="drift-badge" data-status="no_period" title={checked}>
        No current period to reconcile
      </span>
    );
  }
  if (drift.status === "in_step") {
    return (
      <span className="badge badge--ok" data-testid="drift-badge" data-status="in_step" title={checked}>
        In step with Commet
      </span>
    );
  }
  const drifted = drift.features.filter((f) => Math.abs(f.diff) > 1e-6);
  return (
    <span
      className="badge badge--drift"
      data-testid="drift-badge"
      data-status="drifted"
      title={`${drifted
        .map((f) => `${f.code}: timeline ${formatQuantity(f.timeline)}, Commet ${formatQuantity(f.commet)}`)
        .join("; ")} (${checked})`}
    >
      Drift: {drifted.map((f) => `${f.code} ${f.diff > 0 ? "+" : ""}${formatQuantity(f.diff)}`).join(", ")}
    </span>
  );
}
