// The customer page's "Account activity": Commet's webhooks and staff actions in one timeline, filtered by kind.

import { Await, Link, useFetcher, useLocation } from "@remix-run/react";
import { Suspense, useEffect, useState } from "react";
import {
  ACTIVITY_KIND_LABELS,
  ACTIVITY_KINDS,
  parseActivityFilter,
  type ActivityAnswer,
  type ActivityEntry,
  type ActivityKind,
  type ActivityPage,
} from "~/contracts/activity";
import type { PanelResult } from "~/contracts/customer-view";
import { formatUtc } from "~/contracts/format";
import { StatusBadge } from "../status-badge";
import { PanelError } from "./panel";
import "./activity.css";

/**
 * The filter lives in the URL (`?activity=payments`). The page's loader streams the first page for the
 * URL it rendered; a filter changed on the page is fetched from /customers/:id/activity (the page's other
 * panels are not reloaded for it), and so are older pages.
 */
export function ActivityPanel({
  customerRef,
  resolve,
  renderedKind,
}: {
  customerRef: string;
  resolve: Promise<PanelResult<ActivityPage>>;
  /** The kind the loader's page is for. */
  renderedKind: ActivityKind | null;
}) {
  const location = useLocation();
  const params = new URLSearchParams(location.search);
  const kind = parseActivityFilter(params) ?? null;
  const base = `/customers/${encodeURIComponent(customerRef)}/activity`;
  const filtered = useFetcher<ActivityAnswer>();
  const { load } = filtered;
  const wanted = kind === renderedKind ? null : `${base}${kind ? `?kind=${kind}` : ""}`;
  useEffect(() => {
    if (wanted) load(wanted);
  }, [load, wanted]);

  const chipHref = (k: ActivityKind | null) => {
    const next = new URLSearchParams(location.search);
    if (k) next.set("activity", k);
    else next.delete("activity");
    const search = next.toString();
    return `${location.pathname}${search ? `?${search}` : ""}`;
  };
  const chips: Array<[ActivityKind | null, string]> = [
    [null, "All"],
    ...ACTIVITY_KINDS.map((k): [ActivityKind, string] => [k, ACTIVITY_KIND_LABELS[k]]),
  ];

  return (
    <section
      className="card activity-panel"
      data-panel="activity"
      aria-labelledby="activity-title"
      aria-busy={filtered.state !== "idle"}
    >
      <h2 id="activity-title">Account activity</h2>
      <p className="muted small">
        What happened to this account: Commet&rsquo;s events about this customer and staff actions in the console,
        newest first. Times in UTC.
      </p>
      <nav className="status-tabs" aria-label="Activity by kind">
        <ul>
          {chips.map(([k, label]) => (
            <li key={k ?? "all"}>
              <Link
                className="status-tab"
                to={chipHref(k)}
                replace
                preventScrollReset
                aria-current={k === kind ? "page" : undefined}
                data-kind={k ?? "all"}
              >
                {label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {wanted ? (
        filtered.state !== "idle" || !filtered.data ? (
          <ActivityLoading />
        ) : filtered.data.ok ? (
          <ActivityList key={`${kind}:${filtered.data.entries[0]?.id}`} base={base} first={filtered.data} />
        ) : (
          <div className="panel-error" role="alert">
            <p className="panel-error__body">{filtered.data.message}</p>
            <button type="button" className="button button--small" onClick={() => load(wanted)}>
              Retry
            </button>
          </div>
        )
      ) : (
        <Suspense fallback={<ActivityLoading />}>
          <Await
            resolve={resolve}
            errorElement={
              <PanelError
                problem={{
                  kind: "unavailable",
                  title: "Activity could not load",
                  message: "Something went wrong while loading this customer's activity.",
                  retryable: true,
                }}
              />
            }
          >
            {(result) =>
              result.ok ? (
                <ActivityList key={`${renderedKind}:${result.data.entries[0]?.id}`} base={base} first={result.data} />
              ) : (
                <PanelError problem={result.problem} />
              )
            }
          </Await>
        </Suspense>
      )}
    </section>
  );
}

function ActivityLoading() {
  return (
    <p className="muted activity-loading" role="status">
      Loading activity…
    </p>
  );
}

/** The first page and the older ones fetched after it. */
function ActivityList({ base, first }: { base: string; first: ActivityPage }) {
  const more = useFetcher<ActivityAnswer>();
  const [older, setOlder] = useState<{ entries: ActivityEntry[]; nextCursor: string | null; from: unknown }>({
    entries: [],
    nextCursor: first.nextCursor,
    from: null,
  });
  const answer = more.data;
  // Each answer is appended once (state adjusted while rendering, as React documents, not in an effect).
  if (answer?.ok && answer !== older.from) {
    setOlder({ entries: [...older.entries, ...answer.entries], nextCursor: answer.nextCursor, from: answer });
  }

  const entries = [...first.entries, ...older.entries];
  if (entries.length === 0) {
    return (
      <p className="empty-state" data-testid="activity-empty">
        {first.kind
          ? `No ${ACTIVITY_KIND_LABELS[first.kind].toLowerCase()} activity for this customer.`
          : "No activity for this customer yet: Commet's events appear here as they arrive, and so do staff actions."}
      </p>
    );
  }
  const kindParam = first.kind ? `kind=${first.kind}&` : "";
  return (
    <>
      <ol className="activity-list" data-testid="activity-list">
        {entries.map((entry) => (
          <ActivityItem key={`${entry.source}:${entry.id}`} entry={entry} />
        ))}
      </ol>
      {older.nextCursor ? (
        <p>
          <button
            type="button"
            className="button button--quiet"
            disabled={more.state !== "idle"}
            onClick={() => more.load(`${base}?${kindParam}cursor=${encodeURIComponent(older.nextCursor!)}`)}
          >
            {more.state !== "idle" ? "Loading…" : "Show older activity"}
          </button>
        </p>
      ) : null}
      {answer && !answer.ok ? (
        <p className="panel-error" role="alert">
          {answer.message}
        </p>
      ) : null}
    </>
  );
}

function ActivityItem({ entry }: { entry: ActivityEntry }) {
  return (
    <li className={`activity-item activity-item--${entry.source}`} data-source={entry.source} data-type={entry.type}>
      <time className="activity-item__time muted" dateTime={new Date(entry.at).toISOString()}>
        {formatUtc(entry.at, { seconds: true })}
      </time>
      <span className={`activity-kind activity-kind--${entry.kind}`}>
        {entry.kind === "staff" ? "Staff action" : ACTIVITY_KIND_LABELS[entry.kind]}
      </span>
      <div className="activity-item__body">
        <p className="activity-item__sentence">
          {entry.sentence}
          {entry.source === "staff" && entry.status && entry.status !== "succeeded" ? (
            <>
              {" "}
              <StatusBadge status={entry.status} />
            </>
          ) : null}
        </p>
        <details className="activity-item__details">
          <summary>
            {entry.source === "commet" ? "Webhook" : "Audit entry"} <code>{entry.type}</code>
          </summary>
          <pre className="activity-item__payload" tabIndex={0} aria-label={`Payload of ${entry.type}`}>
            {JSON.stringify(entry.payload, null, 2)}
          </pre>
        </details>
      </div>
    </li>
  );
}
