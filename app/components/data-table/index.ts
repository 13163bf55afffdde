/**
 * Shared parts of the console's server-side tables (TanStack Table v9 for columns and rendering; the
 * loader owns paging, filtering and sorting, and the URL holds their state):
 *   DataTable            renders a `useTable` instance (caption, empty state, busy state)
 *   DataTableToolbar     GET filter form (Apply, Clear filters, extra actions)
 *   DataTableFacetedFilter  one-of-several filter (select, "All" = unset)
 *   DataTableColumnHeader   URL sort link for a column header
 *   DataTablePagination  page links + rows-per-page (page, pageSize in the URL)
 *   useSearchWith, PreserveParams   URL helpers
 */
export { DataTable, type RowsFeatures } from "./data-table";
export { DataTableToolbar } from "./toolbar";
export { DataTableFacetedFilter } from "./faceted-filter";
export { DataTableColumnHeader } from "./column-header";
export { DataTablePagination, PreserveParams } from "./pagination";
export { useSearchWith } from "./url-state";
