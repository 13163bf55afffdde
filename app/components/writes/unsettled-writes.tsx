// Writes Commet has not confirmed yet: the customer page's "awaiting confirmation" notice and the rows of /writes/mine.

import { Await, Link, useFetcher, useRevalidator } from "@remix-run/react";
import { Suspense, useEffect } from "react";
import type { PanelResult } from "~/contracts/customer-view";
import { formatUtc } from "~/contracts/format";
import { UNSETTLED_STATE_LABELS, type UnsettledWrite } from "~/contracts/unsettled-writes";

/** One line saying what the console is doing about the write. */
export function unsettledDetail(w: UnsettledWrite): string {
  if (w.state === "needs_person") {
    return w.needsPersonReason === "attempts"
      ? `The console re-sent it ${w.attempts} times without an answer: check the customer in Commet, then "check again" in the audit trail.`
      : `Too close to the end of Commet's 24-hour idempotency window to send again safely (it could apply twice): check the customer in Commet and settle it by hand.`;
  }
  const next = w.nextAttemptAt ? ` Next try ${formatUtc(w.nextAttemptAt)}.` : " It is picked up within a minute.";
  const tries = w.attempts > 0 ? ` ${w.attempts} re-send${w.attempts === 1 ? "" : "s"} so far.` : "";
  const alert = w.state === "alert" ? " Still unconfirmed after 12 hours." : "";
  return `The console re-sends it with the same key until Commet confirms (it cannot apply twice).${tries}${next}${alert} No re-send after ${formatUtc(w.resendUntil)}.`;
}

function tone(writes: UnsettledWrite[]): "warn" | "bad" {
  return writes.some((w) => w.state !== "awaiting") ? "bad" : "warn";
}

/**
 * The customer page's notice: shown while any write on this customer awaits Commet's confirmation, and
 * refreshed from /writes/unsettled every `refreshMs` until they settle (the rest of the page is not reloaded).
 */
export function AwaitingConfirmationNotice({
  customerRef,
  resolve,
  refreshMs = 10_000,
}: {
  customerRef: string;
  resolve: Promise<PanelResult<UnsettledWrite[]>>;
  refreshMs?: number;
}) {
  return (
    <Suspense fallback={null}>
      <Await
        resolve={resolve}
        errorElement={<p className="notice notice--bad">Unconfirmed writes could not be read.</p>}
      >
        {(result) =>
          result.ok ? (
            <LiveNotice customerRef={customerRef} initial={result.data} refreshMs={refreshMs} />
          ) : (
            <p className="notice notice--bad" data-testid="awaiting-confirmation-error">
              Unconfirmed writes could not be read: {result.problem.message}
            </p>
          )
        }
      </Await>
    </Suspense>
  );
}

function LiveNotice({
  customerRef,
  initial,
  refreshMs,
}: {
  customerRef: string;
  initial: UnsettledWrite[];
  refreshMs: number;
}) {
  const fetcher = useFetcher<{ writes: UnsettledWrite[] }>();
  const revalidator = useRevalidator();
  const writes = fetcher.data?.writes ?? initial;
  // Polling only starts from a non-empty list, so "settled" can only follow "awaiting".
  const hadSome = initial.length > 0;
  const pending = writes.length > 0;
  const { load, state } = fetcher;
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(() => {
      if (state === "idle" && document.visibilityState === "visible") {
        load(`/writes/unsettled?customer=${encodeURIComponent(customerRef)}`);
      }
    }, refreshMs);
    return () => clearInterval(timer);
  }, [pending, customerRef, refreshMs, load, state]);

  if (!pending) {
    return hadSome ? (
      <p className="notice notice--good" role="status" data-testid="awaiting-confirmation-settled">
        Commet confirmed the writes that were awaiting confirmation. Their outcome is in the audit trail.{" "}
        {/* The panels and the navigation were read before: a refresh on request, not on its own. */}
        <button
          type="button"
          className="button button--quiet button--small"
          onClick={() => revalidator.revalidate()}
          disabled={revalidator.state !== "idle"}
        >
          Refresh this page&apos;s data
        </button>
      </p>
    ) : null;
  }
  return (
    <section
      className={`notice notice--${tone(writes)} unsettled-notice`}
      aria-labelledby="awaiting-confirmation-title"
      data-testid="awaiting-confirmation"
      role="status"
    >
      <h2 id="awaiting-confirmation-title" className="unsettled-notice__title">
        {writes.length === 1 ? "A write is awaiting confirmation" : `${writes.length} writes are awaiting confirmation`}
      </h2>
      <ul className="unsettled-notice__list">
        {writes.map((w) => (
          <li key={w.auditId}>
            <strong>{UNSETTLED_STATE_LABELS[w.state]}</strong>: {w.what} by {w.mine ? "you" : w.by} at{" "}
            <time dateTime={new Date(w.createdAt).toISOString()}>{formatUtc(w.createdAt)}</time> (key{" "}
            <code>{w.idempotencyKey}</code>). {unsettledDetail(w)}
          </li>
        ))}
      </ul>
      <p className="unsettled-notice__links">
        <Link to="/writes/mine">My unsettled writes</Link> ·{" "}
        <Link to={`/audit?customer=${encodeURIComponent(customerRef)}&status=pending`}>Audit trail</Link>
      </p>
    </section>
  );
}
