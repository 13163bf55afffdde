// The console's one table renderer for TanStack Table column definitions: caption, empty state, loading state.

import type { CellContext, ColumnDef, HeaderContext, ReactTable, RowData, TableFeatures } from "@tanstack/react-table";
import type { ReactNode } from "react";

/** The features of a table rendered from its column definitions: none (the loader sorts, filters and pages). */
export type RowsFeatures = Record<never, never>;

/** A page of rows rendered straight from its column definitions (see `DataTable`). */
interface RowsSource<TFeatures extends TableFeatures, TData extends RowData> {
  // `any` value per column, as TanStack's own column helper types its column lists.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  columns: ReadonlyArray<ColumnDef<TFeatures, TData, any>>;
  data: readonly TData[];
  getRowId: (row: TData) => string;
}

/**
 * Renders a table of TanStack Table v9 column definitions as the console's table: caption for screen
 * readers, empty state in place of the body, `aria-busy` while the next page loads.
 *
 * Give it either a `useTable` instance (`table`), or — for a server-sorted, server-paged page of rows
 * that needs none of TanStack's client-side row models — the `columns`, `data` and `getRowId` themselves:
 * those are rendered directly (same markup as through `useTable`, without building its per-row and
 * per-cell model on every render).
 */
export function DataTable<TFeatures extends TableFeatures, TData extends RowData>({
  caption,
  testId,
  empty,
  loading = false,
  rowProps,
  ...source
}: ({ table: ReactTable<TFeatures, TData, unknown> } | RowsSource<TFeatures, TData>) & {
  caption: string;
  testId?: string;
  /** Shown instead of the table when there are no rows. */
  empty: ReactNode;
  loading?: boolean;
  rowProps?: (row: TData) => Record<string, string | undefined>;
}) {
  const body = "table" in source ? tableBody(source.table, rowProps) : rowsBody(source, rowProps);
  if (!body) return <div className="empty-state">{empty}</div>;
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
        {body}
      </table>
    </div>
  );
}

function tableBody<TFeatures extends TableFeatures, TData extends RowData>(
  table: ReactTable<TFeatures, TData, unknown>,
  rowProps: ((row: TData) => Record<string, string | undefined>) | undefined,
) {
  const rows = table.getRowModel().rows;
  if (rows.length === 0) return null;
  return (
    <>
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
    </>
  );
}

/** One column as the direct renderer needs it (resolved as TanStack's `constructColumn` resolves it). */
interface FlatColumn<TData> {
  id: string;
  header: unknown;
  cell: unknown;
  value: (row: TData, index: number) => unknown;
}

type AnyColumnDef = {
  id?: string;
  accessorKey?: string | number;
  accessorFn?: (row: unknown, index: number) => unknown;
  header?: unknown;
  cell?: unknown;
  columns?: unknown;
};

function flatColumns<TData>(defs: ReadonlyArray<unknown>): Array<FlatColumn<TData>> {
  return defs.map((raw) => {
    const def = raw as AnyColumnDef;
    if (def.columns) throw new Error("DataTable: column groups need a useTable instance");
    const key = def.accessorKey === undefined ? undefined : String(def.accessorKey);
    const id = def.id ?? key?.replaceAll(".", "_") ?? (typeof def.header === "string" ? def.header : undefined);
    if (!id) throw new Error("DataTable: a column needs an id");
    const value: FlatColumn<TData>["value"] = def.accessorFn
      ? (def.accessorFn as FlatColumn<TData>["value"])
      : key === undefined
        ? () => undefined
        : (row) => key.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], row);
    return {
      id,
      // TanStack's defaults: the accessor key (or the id of an accessor function) as the header, the value as text.
      header: def.header === undefined ? (key ?? (def.accessorFn ? id : null)) : def.header,
      cell: def.cell ?? defaultCell,
      value,
    };
  });
}

const defaultCell = (props: { renderValue: () => unknown }) =>
  (props.renderValue() as { toString?: () => string } | null | undefined)?.toString?.() ?? null;

/**
 * A header or cell template with its context: the markup TanStack's FlexRender makes of it. A function is
 * called, not mounted as a component (one fewer component per cell): templates given to the direct
 * renderer must not call hooks — they render components (e.g. a column header) that may.
 */
function render(template: unknown, props: object): ReactNode {
  if (template === null || template === undefined) return null;
  return typeof template === "function" ? (template as (p: object) => ReactNode)(props) : (template as ReactNode);
}

function rowsBody<TFeatures extends TableFeatures, TData extends RowData>(
  { columns, data, getRowId }: RowsSource<TFeatures, TData>,
  rowProps: ((row: TData) => Record<string, string | undefined>) | undefined,
) {
  if (data.length === 0) return null;
  const flat = flatColumns<TData>(columns);
  return (
    <>
      <thead>
        <tr key="0">
          {flat.map((column) => (
            <th key={column.id} scope="col">
              {render(column.header, { column: { id: column.id } } as unknown as HeaderContext<
                TFeatures,
                TData,
                unknown
              >)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {data.map((original, index) => {
          const id = getRowId(original);
          const row = { id, index, original };
          return (
            <tr key={id} {...(rowProps?.(original) ?? {})}>
              {flat.map((column) => {
                const value = column.value(original, index);
                const context = {
                  row,
                  column: { id: column.id },
                  getValue: () => value,
                  renderValue: () => value ?? undefined,
                } as unknown as CellContext<TFeatures, TData, unknown>;
                return <td key={`${id}_${column.id}`}>{render(column.cell, context)}</td>;
              })}
            </tr>
          );
        })}
      </tbody>
    </>
  );
}
