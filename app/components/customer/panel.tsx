// The customer page's panel frame: a titled card that streams its data, with a skeleton and an error card.

import { Await, useRevalidator } from "@remix-run/react";
import { Suspense, useId, type ReactNode } from "react";
import type { PanelResult } from "~/contracts/customer-view";
import type { Problem } from "~/contracts/problem";

const unexpected: Problem = {
  kind: "unavailable",
  title: "This panel could not load",
  message: "Something went wrong while loading this panel.",
  retryable: true,
};

/** The error card a panel shows instead of its content; retry re-runs the page's loader. */
export function PanelError({ problem }: { problem: Problem }) {
  const revalidator = useRevalidator();
  const busy = revalidator.state !== "idle";
  return (
    <div className="panel-error" role="alert" data-testid="panel-error" data-kind={problem.kind}>
      <p className="panel-error__title">{problem.title}</p>
      <p className="panel-error__body">{problem.message}</p>
      {problem.retryable ? (
        <button type="button" className="button button--small" onClick={() => revalidator.revalidate()} disabled={busy}>
          {busy ? "Retrying…" : "Retry"}
        </button>
      ) : null}
    </div>
  );
}

function PanelSkeleton({ rows }: { rows: number }) {
  return (
    <div className="panel-skeleton" aria-hidden="true">
      {Array.from({ length: rows }, (_, i) => (
        <span key={i} className="panel-skeleton__line" style={{ width: `${90 - i * 12}%` }} />
      ))}
    </div>
  );
}

/**
 * One panel of the customer page: its heading, a skeleton while Commet answers, then its content
 * or the error card. `resolve` is the panel's promise from server/customer-view (streamed).
 */
export function Panel<T>({
  title,
  name,
  resolve,
  skeletonRows = 3,
  className,
  actions,
  children,
}: {
  title: string;
  /** data-panel attribute (tests, styling). */
  name: string;
  resolve: Promise<PanelResult<T>>;
  skeletonRows?: number;
  className?: string;
  /** Header-side actions (e.g. a form trigger), shown once the data is there. */
  actions?: (data: T) => ReactNode;
  children: (data: T) => ReactNode;
}) {
  const headingId = useId();
  return (
    <section className={`card panel ${className ?? ""}`} aria-labelledby={headingId} data-panel={name}>
      <Suspense
        fallback={
          <>
            <h2 id={headingId} className="panel__title">
              {title}
            </h2>
            <p className="visually-hidden" role="status">
              Loading {title.toLowerCase()}…
            </p>
            <PanelSkeleton rows={skeletonRows} />
          </>
        }
      >
        <Await
          resolve={resolve}
          errorElement={
            <>
              <h2 id={headingId} className="panel__title">
                {title}
              </h2>
              <PanelError problem={unexpected} />
            </>
          }
        >
          {(result) => (
            <>
              <div className="panel__header">
                <h2 id={headingId} className="panel__title">
                  {title}
                </h2>
                {result.ok && actions ? <div className="panel__actions">{actions(result.data as T)}</div> : null}
              </div>
              {result.ok ? children(result.data as T) : <PanelError problem={result.problem} />}
            </>
          )}
        </Await>
      </Suspense>
    </section>
  );
}

/** A definition list row that hides itself when there is nothing to say. */
export function Fact({ label, children }: { label: string; children: ReactNode }) {
  if (children === null || children === undefined || children === false) return null;
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
