/**
 * The directory sync's progress banner: the sync feeds the index behind search and the tables
 * (docs/decisions/0006-customer-search-index.md).
 */

import { useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import type { SyncStatus } from "~/contracts/directory";
import { formatAgo, formatCount } from "~/contracts/format";
import { useNow } from "./use-now";

const phaseLabels: Record<string, string> = {
  customers: "customers",
  subscriptions: "subscriptions and seats",
  invoices: "invoice numbers",
  done: "done",
};

/**
 * Progress of the directory sync (the index behind search and the tables). While a run is going
 * it shows the counts and refreshes the page's data every few seconds; otherwise one quiet line.
 * `now` is the server's clock when it read `status` (relative times render from it until hydrated).
 */
export function SyncBanner({
  status,
  now: serverNow,
  refreshMs = 3_000,
}: {
  status: SyncStatus;
  now: number;
  refreshMs?: number;
}) {
  const revalidator = useRevalidator();
  const now = useNow(serverNow);
  const running = status.status === "running" || status.status === "waiting";
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => {
      if (revalidator.state === "idle" && document.visibilityState === "visible") revalidator.revalidate();
    }, refreshMs);
    return () => clearInterval(timer);
  }, [running, refreshMs, revalidator]);

  if (running || status.status === "never") {
    return (
      <div className="sync-banner sync-banner--running" role="status" data-testid="sync-banner">
        <strong>{status.status === "never" ? "Building the customer index…" : "Syncing with Commet…"}</strong>{" "}
        {status.status === "waiting" ? "rate limited by Commet, waiting · " : null}
        phase: {phaseLabels[status.phase] ?? status.phase} · {formatCount(status.customersSynced)} customers and{" "}
        {formatCount(status.subscriptionsSynced)} subscriptions synced this run · {formatCount(status.indexedCustomers)}{" "}
        in the index. Search and this table fill in as it goes.
      </div>
    );
  }
  if (status.status === "failed" || status.status === "interrupted") {
    return (
      <div className="sync-banner sync-banner--problem" role="status" data-testid="sync-banner">
        <strong>The last sync did not finish</strong> ({status.lastError ?? status.status}); it resumes on the next run.
        Last complete sync: {formatAgo(status.lastCompletedAt, now)}.
      </div>
    );
  }
  return (
    <p className="sync-line muted" data-testid="sync-banner">
      Index of {formatCount(status.indexedCustomers)} customers, synced with Commet{" "}
      {formatAgo(status.lastCompletedAt, now)}; webhooks keep it current.
    </p>
  );
}
