// /usage/export.csv — the rows behind /usage as streamed, audited CSV.

import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { csvResponse } from "../../server/csv/index.ts";
import { exportPricedUsageCsv } from "../../server/billing/index.ts";
import { parseUsageSearch } from "~/contracts/usage-search";

/**
 * GET /usage/export.csv?<the explorer's filters> — the rows behind what /usage shows for the same
 * query string (customer × feature × UTC day, same order), streamed page by page; the export is audited.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "export:csv");
  const exported = await exportPricedUsageCsv(staff, parseUsageSearch(new URL(request.url).searchParams));
  if (exported.error !== null)
    return new Response(`${exported.error}\n`, {
      status: 400,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  return csvResponse(exported.csv, exported.filename, request.signal);
}
