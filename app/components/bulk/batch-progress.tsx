/**
 * A batch's progress bar, polled while rows are being written (or wait for an approval), and the page read
 * again once the batch's status changes — so outcomes, buttons and the result appear without a reload.
 */
import { useRevalidator } from "@remix-run/react";
import { useEffect, useState } from "react";
import type { BulkBatchStatus, BulkProgress } from "~/contracts/bulk";
import { formatCount } from "~/contracts/format";

/** How often each status is polled (ms); the others are final or wait for staff on this page. */
const POLL_MS: Partial<Record<BulkBatchStatus, number>> = { applying: 1_000, paused: 3_000, awaiting_approval: 5_000 };

/**
 * The freshest progress of the batch: the last poll while the page's data it was polled against is still the
 * page's, else the page's own. A plain fetch, not a fetcher: Remix's revalidations never abort it mid-way.
 * When a poll sees a status the page does not show yet, the page is read again.
 */
export function useBatchProgress(page: BulkProgress): BulkProgress {
  const { revalidate, state: revalidation } = useRevalidator();
  const [poll, setPoll] = useState<{ basis: BulkProgress; value: BulkProgress } | null>(null);
  const progress = poll && poll.basis === page ? poll.value : page;
  const delay = POLL_MS[progress.status];

  useEffect(() => {
    if (progress.status !== page.status && revalidation === "idle") revalidate();
  }, [progress.status, page.status, revalidation, revalidate]);

  useEffect(() => {
    if (delay === undefined) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      fetch(`/bulk/${page.batchId}/progress`, { signal: controller.signal, headers: { Accept: "application/json" } })
        .then(async (response) => (response.ok ? ((await response.json()) as BulkProgress) : null))
        // A failed poll keeps what is shown (a copy, so the next poll is scheduled all the same).
        .then((value) => setPoll({ basis: page, value: value ?? { ...progress } }))
        .catch(() => {
          if (!controller.signal.aborted) setPoll({ basis: page, value: { ...progress } });
        });
    }, delay);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [delay, page, progress]);

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
