// The customer page's Usage tab: the range picker and the usage chart (docs/decisions/0008-usage-timeline.md).

import { useFetcher, useSearchParams } from "@remix-run/react";
import { lazy, Suspense, useEffect, useState } from "react";
import type {
  CustomerReconcileAnswer,
  CustomerUsagePanel as CustomerUsagePanelData,
  Reconciliation,
} from "~/contracts/usage";
import { formatQuantity, formatUtc } from "~/contracts/format";
import type { UsageRange } from "~/contracts/usage-search";
import { DriftBadge } from "./drift-badge";
import "./usage.css";

// Recharts arrives with the chart only: not in the customer page's chunk, and only once the data is here.
const CustomerUsageChart = lazy(() =>
  import("./customer-usage-chart").then((m) => ({ default: m.CustomerUsageChart })),
);

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

function linkedRange(params: URLSearchParams): { from: string; to: string } | null {
  const from = params.get("usageFrom") ?? "";
  const to = params.get("usageTo") ?? "";
  return ISO_DAY.test(from) && ISO_DAY.test(to) && from <= to ? { from, to } : null;
}

const PRESETS: Array<{ range: Exclude<UsageRange, "custom">; label: string }> = [
  { range: "7d", label: "7 days" },
  { range: "30d", label: "30 days" },
  { range: "90d", label: "90 days" },
];

/**
 * The customer page's Usage tab: daily usage per feature from the console's timeline (UTC days) for
 * 7 / 30 / 90 days or a custom range, the plan's included amount, overage in the current period,
 * period boundaries, manual entries as annotations, and whether the timeline agrees with Commet.
 */
export function CustomerUsagePanel({ customerRef }: { customerRef: string }) {
  const fetcher = useFetcher<CustomerUsagePanelData>();
  // ?usageFrom=…&usageTo=… (UTC days) opens the tab on that range: an invoice's overage line links here.
  const [params] = useSearchParams();
  const linked = linkedRange(params);
  const [range, setRange] = useState<UsageRange>(linked ? "custom" : "30d");
  // Following another such link on this page (no remount) switches the range again.
  const linkedKey = linked ? `${linked.from}/${linked.to}` : "";
  const [shownLink, setShownLink] = useState(linkedKey);
  if (shownLink !== linkedKey) {
    setShownLink(linkedKey);
    setRange(linked ? "custom" : "30d");
  }
  const base = `/usage/customer/${encodeURIComponent(customerRef)}`;
  const first = linked ? `${base}?range=custom&from=${linked.from}&to=${linked.to}` : `${base}?range=30d`;
  const { load } = fetcher;
  useEffect(() => {
    load(first);
  }, [load, first]);
  const d = fetcher.data;
  const busy = fetcher.state !== "idle";

  return (
    <section
      id="usage"
      className="card usage-panel"
      data-panel="usage-timeline"
      aria-labelledby="usage-timeline-title"
      aria-busy={busy}
    >
      <div className="usage-panel__header">
        <h2 id="usage-timeline-title">Usage</h2>
        {d?.ok ? <DriftCheck base={base} stored={d.drift} /> : null}
      </div>
      <div className="range-picker" role="group" aria-label="Range (UTC days)">
        {PRESETS.map((p) => (
          <button
            key={p.range}
            type="button"
            className="button button--quiet"
            aria-pressed={range === p.range}
            onClick={() => {
              setRange(p.range);
              load(`${base}?range=${p.range}`);
            }}
          >
            {p.label}
          </button>
        ))}
        <fetcher.Form
          key={linkedKey}
          method="get"
          action={base}
          className="range-picker"
          onSubmit={() => setRange("custom")}
        >
          <input type="hidden" name="range" value="custom" />
          <label className="small">
            From (UTC) <input type="date" name="from" required defaultValue={linked?.from} />
          </label>
          <label className="small">
            To (UTC) <input type="date" name="to" required defaultValue={linked?.to} />
          </label>
          <button type="submit" className="button button--quiet" aria-pressed={range === "custom"}>
            Custom range
          </button>
        </fetcher.Form>
      </div>

      {!d ? (
        <p className="muted chart-loading" role="status" style={{ height: 120 }}>
          Loading usage…
        </p>
      ) : !d.ok ? (
        <p className="panel-error" role="alert">
          {d.message}
        </p>
      ) : (
        <UsageBody data={d} />
      )}
    </section>
  );
}

/** The last stored check, and a button that checks against Commet now (a POST: the panel's GET writes nothing). */
function DriftCheck({ base, stored }: { base: string; stored: Reconciliation | null }) {
  const check = useFetcher<CustomerReconcileAnswer>();
  const fresh = check.data?.ok ? check.data.drift : null;
  return (
    <check.Form method="post" action={base} className="toolbar">
      <DriftBadge drift={fresh ?? stored} />{" "}
      <button type="submit" className="button button--quiet" disabled={check.state !== "idle"}>
        {check.state !== "idle" ? "Checking against Commet…" : "Check against Commet now"}
      </button>
      {check.data && !check.data.ok ? (
        <span className="panel-error" role="alert">
          {check.data.message}
        </span>
      ) : null}
    </check.Form>
  );
}

type Loaded = Extract<CustomerUsagePanelData, { ok: true }>;

function UsageBody({ data: d }: { data: Loaded }) {
  const u = d.usage;
  const limits = new Map(u.limits.map((l) => [l.code, l]));
  const anyUsage = u.features.some((f) => f.total !== 0);
  return (
    <div data-testid="customer-usage">
      <p className="muted small">
        {u.from} to {u.to}, UTC days.
        {u.period
          ? ` Current period: ${formatUtc(u.period.start)} → ${formatUtc(u.period.end)}.`
          : " No current period."}
      </p>
      {d.liveProblem ? (
        <p className="notice" role="status">
          {d.liveProblem.title}: {d.liveProblem.message} Showing the console's timeline only.
        </p>
      ) : null}
      {!anyUsage ? (
        <p className="empty-state" data-testid="customer-usage-empty">
          No usage recorded in this range.
          {d.ingest.events === 0
            ? " The timeline has no events yet: usage history is still arriving from Commet's webhooks."
            : ` (The timeline holds ${formatQuantity(d.ingest.events)} events up to ${d.ingest.lastDay}, UTC.)`}
        </p>
      ) : null}
      {u.features.map((f) => {
        const limit = limits.get(f.code);
        const annotations = u.annotations.filter((a) => a.featureCode === f.code);
        const unit = d.units[f.code] ?? null;
        const amount = (v: number) => formatQuantity(v, unit);
        return (
          <div className="usage-feature" key={f.code} data-feature={f.code}>
            <h3>
              {limit?.name ?? f.code} <code className="muted">{f.code}</code>{" "}
              <span className="muted small">
                {amount(f.total)} in range
                {limit?.current !== null && limit?.current !== undefined
                  ? ` · Commet this period: ${formatQuantity(limit.current)}`
                  : ""}
                {limit
                  ? limit.unlimited
                    ? " · unlimited"
                    : limit.included !== null
                      ? ` · included ${formatQuantity(limit.included)}`
                      : ""
                  : ""}
              </span>
            </h3>
            {anyUsage ? (
              <Suspense
                fallback={
                  <div className="usage-chart chart-loading" style={{ height: 260 }}>
                    Loading chart…
                  </div>
                }
              >
                <CustomerUsageChart
                  period={u.period}
                  feature={{
                    code: f.code,
                    name: limit?.name ?? f.code,
                    unit,
                    series: f.series,
                    included: limit?.included ?? null,
                    unlimited: limit?.unlimited ?? false,
                    current: limit?.current ?? null,
                    annotations: annotations.map((a) => ({
                      usageEventId: a.usageEventId,
                      date: a.date,
                      quantity: a.quantity,
                      staff: a.staff,
                      kind: a.kind,
                    })),
                  }}
                />
              </Suspense>
            ) : null}
            {annotations.length > 0 ? (
              <ul
                className="usage-annotations"
                aria-label={`Manual entries of ${f.code}`}
                data-testid="usage-annotations"
              >
                {annotations.map((a) => (
                  <li key={a.usageEventId} data-kind={a.kind}>
                    {a.kind === "set" ? (
                      <>
                        Correction: period total set
                        {a.setTo !== null ? ` to ${amount(a.setTo)}` : ""} ({a.quantity >= 0 ? "+" : ""}
                        {formatQuantity(a.quantity)})
                      </>
                    ) : (
                      <>
                        Manual entry {a.quantity > 0 ? "+" : ""}
                        {amount(a.quantity)}
                      </>
                    )}{" "}
                    at {formatUtc(a.occurredAt)}
                    {a.staff ? ` by ${a.staff}` : ""}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        );
      })}
    </div>
  );
}
