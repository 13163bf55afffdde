// The usage explorer's filter form (state in the URL) and its CSV export link.

import { Form, Link } from "@remix-run/react";
import type { UsageExplorerPage } from "~/contracts/usage";
import { USAGE_GRAINS } from "~/contracts/usage-grain";
import { hasFilters, USAGE_RANGES, usageExportHref, usageSearchString } from "~/contracts/usage-search";
import { MultiFilter } from "./multi-filter";

/** The explorer's filters (a GET form: the state lives in the URL) and the CSV export of what they show. */
export function ExplorerFilters({ page, canExport }: { page: UsageExplorerPage; canExport: boolean }) {
  const s = page.search;
  return (
    <Form method="get" className="toolbar" role="search" aria-label="Filter usage" key={usageSearchString(s)}>
      <label>
        Range (UTC days)
        <select name="range" defaultValue={s.range}>
          {USAGE_RANGES.map((r) => (
            <option key={r} value={r}>
              {r === "custom" ? "Custom" : `Last ${r.replace("d", " days")}`}
            </option>
          ))}
        </select>
      </label>
      <label>
        From (UTC)
        <input type="date" name="from" defaultValue={s.from ?? ""} />
      </label>
      <label>
        To (UTC)
        <input type="date" name="to" defaultValue={s.to ?? ""} />
      </label>
      <MultiFilter
        name="plan"
        label="Plan"
        values={s.plan}
        options={page.plans.map((p) => ({ value: p.id, label: p.name }))}
      />
      <MultiFilter
        name="feature"
        label="Feature"
        values={s.feature}
        options={[...new Set([...Object.keys(page.units), ...(page.result?.series.features ?? [])])]
          .map((f) => ({ value: f, label: page.featureNames[f] ?? f }))
          .sort((a, b) => a.label.localeCompare(b.label))}
      />
      <MultiFilter
        name="status"
        label="Customer status"
        values={s.status}
        options={page.statuses.map((st) => ({ value: st, label: st.replace("_", " ") }))}
      />
      <label>
        Customer
        <input
          type="search"
          name="customer"
          defaultValue={s.customer ?? ""}
          placeholder="Name, email, Commet ID or external ID"
        />
      </label>
      <label>
        Chart by
        <select name="grain" defaultValue={s.grain}>
          {USAGE_GRAINS.map((g) => (
            <option key={g} value={g}>
              {g[0]!.toUpperCase() + g.slice(1)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Compare with
        <select name="compare" defaultValue={s.compare}>
          <option value="none">Nothing</option>
          <option value="previous">Previous range</option>
        </select>
      </label>
      {s.sort !== "usage" ? <input type="hidden" name="sort" value={s.sort} /> : null}
      <button type="submit" className="button">
        Apply
      </button>
      {hasFilters(s) || s.range !== "30d" ? (
        <Link to="/usage" className="button button--quiet">
          Clear filters
        </Link>
      ) : null}
      {canExport && page.result ? (
        <a className="button button--quiet toolbar__end" href={usageExportHref(s)} download data-testid="usage-export">
          Export CSV
        </a>
      ) : null}
    </Form>
  );
}
