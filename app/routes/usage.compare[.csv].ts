// /usage/compare.csv — the explorer's chart buckets and totals beside the previous range's, as audited CSV.

import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { csvResponse } from "../../server/csv/index.ts";
import { exportComparisonCsv } from "../../server/usage/timeline/index.ts";
import { parseUsageSearch } from "~/contracts/usage-search";

/** GET /usage/compare.csv?<the explorer's filters and grain> — current vs previous range per bucket and feature. */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "export:csv");
  const exported = await exportComparisonCsv(staff, parseUsageSearch(new URL(request.url).searchParams));
  if (exported.error !== null)
    return new Response(`${exported.error}\n`, {
      status: 400,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  return csvResponse(exported.csv, exported.filename, request.signal);
}
