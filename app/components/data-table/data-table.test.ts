import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { DataTable } from "./data-table";

interface Row {
  id: string;
  name: string | null;
  plan: { name: string } | null;
  seats: number;
  note?: string;
}

const features = tableFeatures({});
const column = createColumnHelper<typeof features, Row>();
const columns = column.columns([
  column.accessor((row) => row.name ?? "", {
    id: "name",
    header: () => createElement("a", { href: "?sort=name" }, "Name"),
    cell: (info) => createElement("a", { href: `/rows/${info.row.original.id}` }, info.getValue() || "No name"),
  }),
  column.accessor("plan.name", { header: "Plan" }),
  column.accessor("seats", { cell: (info) => (info.getValue() ? String(info.getValue() * 2) : "—") }),
  column.accessor("note", { header: "Note" }),
  column.display({ id: "actions", header: "Actions", cell: () => createElement("button", null, "Open") }),
]);

const rows: Row[] = [
  { id: "r1", name: "Ada", plan: { name: "Pro" }, seats: 3, note: "vip" },
  { id: "r2", name: null, plan: null, seats: 0 },
];

const common = {
  caption: "Rows",
  testId: "rows",
  empty: "Nothing",
  rowProps: (row: Row) => ({ "data-id": row.id }),
};

function ThroughUseTable({ data }: { data: Row[] }) {
  const table = useTable({ features, columns, data, getRowId: (row) => row.id });
  return createElement(DataTable<typeof features, Row>, { table, ...common });
}

const direct = (data: Row[]) =>
  renderToString(createElement(DataTable<typeof features, Row>, { columns, data, getRowId: (r) => r.id, ...common }));

describe("DataTable rendering column definitions directly", () => {
  it("makes the same markup as through a useTable instance", () => {
    const viaTable = renderToString(createElement(ThroughUseTable, { data: rows }));
    expect(direct(rows)).toBe(viaTable);
    expect(viaTable).toContain('data-id="r2"');
    expect(viaTable).toContain("<td>Pro</td>");
    expect(viaTable).toContain('<th scope="col">seats</th>');
  });

  it("shows the empty state without rows, like a useTable instance", () => {
    expect(direct([])).toBe(renderToString(createElement(ThroughUseTable, { data: [] })));
    expect(direct([])).toContain("Nothing");
  });
});
