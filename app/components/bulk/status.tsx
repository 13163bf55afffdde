/** A bulk batch's and a row's status as coloured badges (the text says it; colour only repeats it). */
import {
  BULK_BATCH_STATUS_LABELS,
  BULK_ROW_STATUS_LABELS,
  type BulkBatchStatus,
  type BulkRowStatus,
} from "~/contracts/bulk";

const BATCH_TONES: Record<BulkBatchStatus, string> = {
  invalid: "bad",
  ready: "info",
  awaiting_approval: "warn",
  applying: "info",
  paused: "warn",
  cancelled: "muted",
  rejected: "bad",
  completed: "good",
};

const ROW_TONES: Record<BulkRowStatus, string> = {
  invalid: "bad",
  excluded: "muted",
  ready: "info",
  skipped: "muted",
  applied: "good",
  refused: "warn",
  failed: "bad",
  unknown: "warn",
};

export function BatchStatusBadge({ status }: { status: BulkBatchStatus }) {
  return (
    <span className={`status-badge status-badge--${BATCH_TONES[status]}`} data-status={status}>
      {BULK_BATCH_STATUS_LABELS[status]}
    </span>
  );
}

export function RowStatusBadge({ status }: { status: BulkRowStatus }) {
  return (
    <span className={`status-badge status-badge--${ROW_TONES[status]}`} data-status={status}>
      {BULK_ROW_STATUS_LABELS[status]}
    </span>
  );
}
