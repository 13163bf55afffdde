// The customer directory table: rows from the search index, sorted and paged by the server.

import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import { DataTable } from "~/components/data-table";
import type { IndexedCustomer } from "~/contracts/directory";
import { formatDate } from "~/contracts/format";

// Rows come sorted and limited from the server, so no client row models are registered.
const features = tableFeatures({});
const column = createColumnHelper<typeof features, IndexedCustomer>();
const columns = column.columns([
  column.accessor((row) => row.fullName ?? "", {
    id: "name",
    header: "Name",
    cell: (info) => info.getValue() || <span className="muted">No name</span>,
  }),
  column.accessor("email", { header: "Email" }),
  column.accessor("externalId", {
    header: "External ID",
    cell: (info) => info.getValue() ?? <span className="muted">—</span>,
  }),
  column.accessor("id", { header: "Commet ID", cell: (info) => <code>{info.getValue()}</code> }),
  column.accessor("createdAt", {
    header: "Created",
    cell: (info) => <time dateTime={new Date(info.getValue()).toISOString()}>{formatDate(info.getValue())}</time>,
  }),
]);

export function CustomersTable({ customers, caption }: { customers: IndexedCustomer[]; caption: string }) {
  const table = useTable({ features, columns, data: customers, getRowId: (row) => row.id });
  return (
    <DataTable
      table={table}
      caption={caption}
      testId="customers-table"
      empty="No customers yet. Customers created through Commet appear here."
    />
  );
}
