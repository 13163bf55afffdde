import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import type { CustomerRow } from "../../server/commet/customers.ts";
import { DataTable } from "~/components/data-table";
import { formatDate } from "~/contracts/format";

// Server-side table: Commet pages and filters, so no client row models are registered.
const features = tableFeatures({});
const column = createColumnHelper<typeof features, CustomerRow>();
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
    cell: (info) => <time dateTime={info.getValue()}>{formatDate(info.getValue())}</time>,
  }),
]);

export function CustomersTable({ customers, caption }: { customers: CustomerRow[]; caption: string }) {
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
