// Sortable column headers for the console's server-side tables (sort state lives in the URL).

import { Link } from "@remix-run/react";
import { useSearchWith } from "./url-state";

/**
 * A column header that sorts a server-side table through the URL (`sort=<id>` / `sort=-<id>`), or
 * plain text for a column that does not sort. Use as a column's `header`.
 */
export function DataTableColumnHeader({
  title,
  sortId,
  sort,
  param = "sort",
}: {
  title: string;
  /** The sort key the loader understands; omit for an unsortable column. */
  sortId?: string;
  /** The current sort parameter ("id" ascending, "-id" descending). */
  sort?: string | null;
  param?: string;
}) {
  const searchWith = useSearchWith();
  if (!sortId) return <>{title}</>;
  const direction = sort === sortId ? "ascending" : sort === `-${sortId}` ? "descending" : null;
  const next = direction === "ascending" ? `-${sortId}` : sortId;
  return (
    <Link
      className="column-header"
      to={searchWith({ [param]: next, page: null, cursor: null })}
      aria-label={`${title}: sort ${direction === "ascending" ? "descending" : "ascending"}`}
    >
      {title}
      <span aria-hidden="true">{direction === "ascending" ? " ▲" : direction === "descending" ? " ▼" : " ↕"}</span>
    </Link>
  );
}
