import { formatQuantity } from "~/contracts/usage-search";

/** The last reconciliation of a customer as the server stores it (server/usage/timeline Reconciliation, serialized). */
export interface DriftView {
  status: "in_step" | "drifted" | "no_period";
  checkedAt: number;
  maxAbsDiff: number;
  features: Array<{ code: string; timeline: number; commet: number; diff: number }>;
}

/**
 * Whether the console's usage timeline agrees with Commet's live counters for the current period.
 * Drifted shows which features differ and by how much (Commet − timeline).
 */
export function DriftBadge({ drift }: { drift: DriftView | null }) {
  if (!drift)
    return (
      <span className="badge badge--muted" data-testid="drift-badge" data-status="unchecked">
        Not reconciled yet
      </span>
    );
  const checked = `checked ${new Date(drift.checkedAt).toISOString().replace("T", " ").slice(0, 16)} UTC`;
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
