/** A subscription or invoice status as a coloured badge (colour carries meaning; the text says it). */
const labels: Record<string, string> = {
  active: "Active",
  trialing: "Trialing",
  past_due: "Past due",
  pending_payment: "Pending payment",
  canceled: "Canceled",
  draft: "Draft",
  none: "No subscription",
  outstanding: "Outstanding",
  overdue: "Overdue",
  paid: "Paid",
  void: "Void",
  uncollectible: "Uncollectible",
  succeeded: "Succeeded",
  failed: "Failed",
  pending: "Pending",
  refunded: "Refunded",
  disputed: "Disputed",
};

const tones: Record<string, string> = {
  active: "good",
  paid: "good",
  succeeded: "good",
  trialing: "info",
  pending_payment: "warn",
  outstanding: "warn",
  overdue: "bad",
  pending: "warn",
  draft: "muted",
  past_due: "bad",
  uncollectible: "bad",
  failed: "bad",
  disputed: "bad",
  refunded: "info",
  canceled: "muted",
  void: "muted",
  none: "muted",
};

export function statusLabel(status: string | null | undefined): string {
  const s = status ?? "none";
  return labels[s] ?? s.replace(/_/g, " ");
}

export function StatusBadge({ status }: { status: string | null | undefined }) {
  const s = status ?? "none";
  return (
    <span className={`status-badge status-badge--${tones[s] ?? "muted"}`} data-status={s}>
      {statusLabel(s)}
    </span>
  );
}
