// /payments/export.csv — every row behind /payments for the same filters, as audited CSV.

import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { callCommet } from "../../server/commet/index.ts";
import { csvResponse } from "../../server/csv/index.ts";
import { exportPaymentsCsv } from "../../server/payments/index.ts";
import { parsePaymentsSearch } from "~/contracts/payments";

/** GET (export:csv): the queue's rows (all pages, same order, same coverage); the export is audited. */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "export:csv");
  const exported = await callCommet(() =>
    exportPaymentsCsv(staff, parsePaymentsSearch(new URL(request.url).searchParams)),
  );
  if (exported.error !== null)
    return new Response(`${exported.error}\n`, {
      status: 400,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  return csvResponse(exported.csv, exported.filename, request.signal);
}
