// /invoices/export.csv — the rows behind /invoices as audited CSV.

import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { answerCommet } from "../../server/commet/index.ts";
import { csvResponse } from "../../server/csv/index.ts";
import { exportInvoicesCsv } from "../../server/invoices/index.ts";
import { parseInvoiceQueue } from "~/contracts/invoices";

/** GET /invoices/export.csv?<the queue's filters> (export:csv): every matching invoice, not just one page. */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "export:csv");
  const answer = await answerCommet(() =>
    exportInvoicesCsv(staff, parseInvoiceQueue(new URL(request.url).searchParams)),
  );
  if (!answer.ok) {
    return new Response(`${answer.problem.message}\n`, {
      status: answer.status,
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
    });
  }
  return csvResponse(answer.value.csv, answer.value.filename, request.signal);
}
