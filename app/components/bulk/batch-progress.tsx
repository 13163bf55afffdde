/**
 * A batch's progress bar, polled while rows are being written (or wait for an approval), and the page read
 * again once the batch's status changes — so outcomes, buttons and the result appear without a reload.
 */
import { useFetcher, useRevalidator } from "@remix-run/react";
import { useEffect, useState } from "react";
import type { BulkBatchStatus, BulkProgress } from "~/contracts/bulk";
import { formatCount } from "~/contracts/format";

/** How often each status is polled (ms); the others are final or wait for staff on this page. */
const POLL_MS: Partial<Record<BulkBatchStatus, number>> = { applying: 1_000, paused: 3_000, awaiting_approval: 5_000 };

/**
 * The freshest progress of the batch: whichever of the page's read and the last poll arrived last (the larger
 * count of done rows when both arrive together). Polls while the status asks for it; when a poll sees a status
 * the page does not show yet, the page is read again.
 */
export function useBatchProgress(page: BulkProgress): BulkProgress {
  const poller = useFetcher<BulkProgress>();
  const { revalidate } = useRevalidator();
  const { load } = poller;
  const polled = poller.data?.batchId === page.batchId ? poller.data : null;
  const [shown, setShown] = useState({ page, polled, value: page });
  if (shown.page !== page || shown.polled !== polled) {
    const pageNew = shown.page !== page;
    const pollNew = polled !== null && shown.polled !== polled;
    const value =
      pageNew && pollNew ? (polled.done > page.done ? polled : page) : pollNew ? polled : pageNew ? page : shown.value;
    setShown({ page, polled, value });
  }
  const progress = shown.value;
  const delay = POLL_MS[progress.status];
  const idle = poller.state === "idle";

  useEffect(() => {
    if (progress.status !== page.status) revalidate();
  }, [progress.status, page.status, revalidate]);

  useEffect(() => {
    if (delay === undefined || !idle) return;
    const timer = setTimeout(() => void load(`/bulk/${page.batchId}/progress`), delay);
    return () => clearTimeout(timer);
  }, [delay, idle, load, page.batchId, progress]);

  return progress;
}

export function BatchProgressBar({ progress }: { progress: BulkProgress }) {
  const { total, done, applied, refused, failed, unknown, skipped, percent } = progress;
  const problems = [
    refused ? `${formatCount(refused)} refused` : null,
    failed ? `${formatCount(failed)} failed` : null,
    unknown ? `${formatCount(unknown)} awaiting confirmation` : null,
    skipped ? `${formatCount(skipped)} skipped` : null,
  ].filter(Boolean);
  return (
    <div
      className="bulk-progress"
      data-testid="bulk-progress"
      data-done={done}
      data-total={total}
      data-status={progress.status}
    >
      <progress max={Math.max(total, 1)} value={done} aria-label="Rows with an outcome">
        {percent}%
      </progress>
      <span role="status" className="muted">
        {formatCount(done)} of {formatCount(total)} rows done ({percent}%): {formatCount(applied)} applied
        {problems.length ? `, ${problems.join(", ")}` : ""}.
      </span>
    </div>
  );
}
