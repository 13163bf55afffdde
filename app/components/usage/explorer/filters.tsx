// The usage explorer's filter form (state in the URL) and its CSV export link.

import { Form, Link } from "@remix-run/react";
import { DataTableFacetedFilter } from "~/components/data-table";
import type { UsageExplorerPage } from "~/contracts/usage";
import { hasFilters, USAGE_RANGES, usageExportHref, usageSearchString } from "~/contracts/usage-search";

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
      <DataTableFacetedFilter
        name="plan"
        label="Plan"
        value={s.plan[0]}
        options={page.plans.map((p) => ({ value: p.id, label: p.name }))}
      />
      <DataTableFacetedFilter
        name="feature"
        label="Feature"
        value={s.feature[0]}
        options={[...new Set([...Object.keys(page.units), ...(page.result?.series.features ?? []), ...s.feature])]
          .sort()
          .map((f) => ({ value: f, label: page.featureNames[f] ?? f }))}
      />
      <DataTableFacetedFilter
        name="status"
        label="Customer status"
        value={s.status[0]}
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
