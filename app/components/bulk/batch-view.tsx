/**
 * One bulk batch (/bulk/:batchId): validation errors by line, the dry run and its totals, then apply through
 * the exactly-once engine with a progress bar, pause / resume / cancel, and the result and error files.
 */
import { Form, Link } from "@remix-run/react";
import { useId, useState } from "react";
import { FormAlert } from "~/components/form-field";
import { ModeBanner } from "~/components/mode-banner";
import {
  BULK_KIND_LABELS,
  type BulkActionResult,
  type BulkBatchView,
  type BulkIntent,
  type BulkProgress,
} from "~/contracts/bulk";
import { formatCount, formatQuantity, formatUtc } from "~/contracts/format";
import { BatchProgressBar, useBatchProgress } from "./batch-progress";
import { BatchRows } from "./batch-rows";
import { BatchStatusBadge } from "./status";
import "./bulk.css";

const rowsLabel = (n: number) => formatQuantity(n, "row");

/** One intent as its own small form: a button, and a checkbox the staffer ticks first when it needs one. */
function IntentForm({
  intent,
  label,
  busy,
  quiet = false,
  danger = false,
  confirm,
}: {
  intent: BulkIntent;
  label: string;
  busy: boolean;
  quiet?: boolean;
  danger?: boolean;
  confirm?: string;
}) {
  const id = useId();
  const [confirmed, setConfirmed] = useState(false);
  const tone = danger ? "button button--danger" : quiet ? "button button--quiet" : "button";
  return (
    <Form method="post" data-testid={`bulk-${intent}`}>
      {confirm ? (
        <span className="bulk-confirm">
          <input
            id={id}
            type="checkbox"
            required
            checked={confirmed}
            onChange={(e) => setConfirmed(e.target.checked)}
          />
          <label htmlFor={id}>{confirm}</label>
        </span>
      ) : null}
      <button type="submit" name="intent" value={intent} className={tone} disabled={busy || (!!confirm && !confirmed)}>
        {label}
      </button>
    </Form>
  );
}

function Totals({ batch }: { batch: BulkBatchView }) {
  const t = batch.totals;
  return (
    <ul className="bulk-totals" data-testid="bulk-totals" data-valid={t.valid} data-invalid={t.invalid}>
      <li>
        <strong>{formatCount(t.rows)}</strong>
        <span>rows in the file</span>
      </li>
      <li>
        <strong>{formatCount(t.valid)}</strong>
        <span>valid</span>
      </li>
      <li>
        <strong>{formatCount(t.invalid)}</strong>
        <span>invalid</span>
      </li>
      {t.excluded > 0 ? (
        <li>
          <strong>{formatCount(t.excluded)}</strong>
          <span>excluded</span>
        </li>
      ) : null}
      <li>
        <strong>{formatCount(t.customers)}</strong>
        <span>customers</span>
      </li>
      {t.seats ? (
        <>
          <li>
            <strong>+{formatCount(t.seats.added)}</strong>
            <span>seats added</span>
          </li>
          <li>
            <strong>−{formatCount(t.seats.removed)}</strong>
            <span>seats removed</span>
          </li>
          <li>
            <strong>{t.seats.charge ? t.seats.charge.formatted : "none"}</strong>
            <span>prorated estimate of the additions</span>
          </li>
        </>
      ) : null}
      {(t.usage ?? []).map((u) => (
        <li key={u.feature} data-feature={u.feature}>
          <strong>+{formatQuantity(u.quantity, u.unitName)}</strong>
          <span>
            {u.label} · {rowsLabel(u.rows)}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** What the staffer can do now, by the batch's status (the server decides `may` and checks again). */
function NextStep({ batch, progress, busy }: { batch: BulkBatchView; progress: BulkProgress; busy: boolean }) {
  const { may, totals } = batch;
  const status = progress.status;
  const errorsHref = `/bulk/${batch.id}/errors.csv`;
  const toApply = totals.valid;
  if (status === "invalid") {
    return (
      <div data-testid="bulk-next-invalid">
        <p className="notice notice--bad" role="alert">
          {rowsLabel(totals.invalid)} of this file {totals.invalid === 1 ? "is" : "are"} invalid: nothing is sent to
          Commet while {totals.invalid === 1 ? "it is" : "they are"}. Fix the file and <Link to="/bulk">upload it</Link>{" "}
          again, or exclude the invalid rows and apply the {rowsLabel(totals.valid)} that are valid.
        </p>
        <div className="bulk-actions">
          <a className="button button--quiet" href={errorsHref} download data-testid="bulk-errors-csv">
            Download the errors (CSV)
          </a>
          {may.exclude_invalid ? (
            <IntentForm
              intent="exclude_invalid"
              label={`Exclude ${rowsLabel(totals.invalid)}`}
              busy={busy}
              quiet
              confirm={`The ${rowsLabel(totals.invalid)} will not be applied`}
            />
          ) : null}
          {may.revalidate ? <IntentForm intent="revalidate" label="Validate again" busy={busy} quiet /> : null}
        </div>
      </div>
    );
  }
  if (status === "ready") {
    return (
      <div data-testid="bulk-next-ready">
        <p className="notice notice--good" role="status">
          Dry run: nothing has been written yet. The effect of every row below was read from Commet at{" "}
          {formatUtc(batch.validatedAt)}. Seat counts that change before a row is applied are refused for that row,
          never overwritten.
        </p>
        <div className="bulk-actions">
          {may.revalidate ? <IntentForm intent="revalidate" label="Run the dry run again" busy={busy} quiet /> : null}
          {may.apply ? (
            <>
              <ModeBanner livemode={batch.livemode} />
              <IntentForm intent="apply" label={`Apply ${rowsLabel(toApply)} to Commet`} busy={busy} />
            </>
          ) : null}
          {totals.excluded > 0 ? (
            <a className="button button--quiet" href={errorsHref} download data-testid="bulk-errors-csv">
              Download the excluded rows&apos; errors (CSV)
            </a>
          ) : null}
        </div>
      </div>
    );
  }
  if (status === "awaiting_approval" && batch.approval) {
    return (
      <p className="notice notice--warn" role="status" data-testid="bulk-next-approval">
        The whole batch waits as one approval request:{" "}
        <Link to={`/approvals/${batch.approval.requestId}`}>open the request</Link>
        {batch.approval.approvers.length ? ` (approvers: ${batch.approval.approvers.join(", ")})` : ""}. Nothing is sent
        to Commet until someone else approves it.
      </p>
    );
  }
  if (status === "rejected") {
    return (
      <p className="notice notice--bad" role="status">
        The approval request was {batch.approval?.status ?? "rejected"}: nothing was sent to Commet.
      </p>
    );
  }
  return null;
}

function ApplyControls({ batch, progress, busy }: { batch: BulkBatchView; progress: BulkProgress; busy: boolean }) {
  const { may } = batch;
  const started = ["applying", "paused", "cancelled", "completed"].includes(progress.status);
  if (!started) return null;
  return (
    <section className="bulk-section" aria-labelledby="bulk-apply-title">
      <h2 id="bulk-apply-title">Apply</h2>
      <BatchProgressBar progress={progress} />
      {progress.status === "paused" ? (
        <p className="muted">Paused: rows in flight finished; the others wait for Resume.</p>
      ) : null}
      <div className="bulk-actions">
        {may.pause && progress.status === "applying" ? (
          <IntentForm intent="pause" label="Pause" busy={busy} quiet />
        ) : null}
        {may.resume && progress.status === "paused" ? <IntentForm intent="resume" label="Resume" busy={busy} /> : null}
        {may.cancel && (progress.status === "applying" || progress.status === "paused") ? (
          <IntentForm
            intent="cancel"
            label="Cancel the batch"
            busy={busy}
            danger
            confirm={`Skip the ${rowsLabel(progress.total - progress.done)} not applied yet`}
          />
        ) : null}
        {progress.done > 0 ? (
          <a
            className="button button--quiet"
            href={`/bulk/${batch.id}/result.csv`}
            download
            data-testid="bulk-result-csv"
          >
            Download the result (CSV)
          </a>
        ) : null}
      </div>
    </section>
  );
}

export function BulkBatchPage({
  batch,
  result,
  notice,
  busy,
}: {
  batch: BulkBatchView;
  /** The answer of the last action on this page. */
  result: BulkActionResult | null;
  /** A message carried from the upload (e.g. this file was uploaded before). */
  notice: string | null;
  busy: boolean;
}) {
  const progress = useBatchProgress(batch.progress);
  return (
    <>
      <div className="page-header">
        <p className="muted small">
          <Link to="/bulk">Bulk changes</Link> ›
        </p>
        <h1 data-testid="bulk-title">
          {batch.fileName} <BatchStatusBadge status={progress.status} />
        </h1>
        <p className="bulk-meta">
          <span>{BULK_KIND_LABELS[batch.kind]}</span>
          <span>
            Uploaded {formatUtc(batch.createdAt)} by {batch.createdBy}
          </span>
          <span>
            File hash <code>{batch.fileHash}</code>
          </span>
        </p>
      </div>
      {notice ? (
        <p className="notice" role="status" data-testid="bulk-notice">
          {notice}
        </p>
      ) : null}
      {result?.kind === "ok" || result?.kind === "sent_for_approval" ? (
        <p
          className={result.kind === "ok" ? "notice notice--good" : "notice notice--warn"}
          role="status"
          data-testid="bulk-result"
        >
          {result.message}
        </p>
      ) : (
        <FormAlert message={result?.message} testId="bulk-result" />
      )}
      <section className="bulk-section" aria-labelledby="bulk-totals-title">
        <h2 id="bulk-totals-title">
          {progress.status === "invalid" ? "Validation" : progress.status === "ready" ? "Dry run" : "Totals"}
        </h2>
        <Totals batch={batch} />
        <NextStep batch={batch} progress={progress} busy={busy} />
      </section>
      <ApplyControls batch={batch} progress={progress} busy={busy} />
      <BatchRows batch={batch} />
    </>
  );
}
