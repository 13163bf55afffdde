// The console's one table renderer for TanStack Table instances: caption, empty state, loading state.

import type { ReactTable } from "@tanstack/react-table";
import type { ReactNode } from "react";
import type { RowData, TableFeatures } from "@tanstack/react-table";

/**
 * Renders any TanStack Table v9 instance as the console's table: caption for screen readers, empty
 * state in place of the body, `aria-busy` while the next page loads.
 */
export function DataTable<TFeatures extends TableFeatures, TData extends RowData>({
  table,
  caption,
  testId,
  empty,
  loading = false,
  rowProps,
}: {
  table: ReactTable<TFeatures, TData, unknown>;
  caption: string;
  testId?: string;
  /** Shown instead of the table when there are no rows. */
  empty: ReactNode;
  loading?: boolean;
  rowProps?: (row: TData) => Record<string, string | undefined>;
}) {
  const rows = table.getRowModel().rows;
  if (rows.length === 0) return <div className="empty-state">{empty}</div>;
  return (
    // Focusable and labelled: a table wider than the screen scrolls, and keyboard users must reach it.
    <div
      className={loading ? "table-wrap is-loading" : "table-wrap"}
      aria-busy={loading}
      tabIndex={0}
      role="region"
      aria-label={caption}
    >
      <table className="data-table" data-testid={testId}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => (
                <th key={header.id} scope="col">
                  {header.isPlaceholder ? null : <table.FlexRender header={header} />}
                </th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id} {...(rowProps?.(row.original) ?? {})}>
              {row.getAllCells().map((cell) => (
                <td key={cell.id}>
                  <table.FlexRender cell={cell} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
