// /usage/top.csv — the top-customers ranking behind /usage (same filters and sort) as audited CSV.

import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { csvResponse } from "../../server/csv/index.ts";
import { exportPricedTopCustomersCsv } from "../../server/billing/index.ts";
import { parseUsageSearch } from "~/contracts/usage-search";

/** GET /usage/top.csv?<the explorer's filters and sort> — the ranked customers with ids and names. */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "export:csv");
  const exported = await exportPricedTopCustomersCsv(staff, parseUsageSearch(new URL(request.url).searchParams));
  if (exported.error !== null)
    return new Response(`${exported.error}\n`, {
      status: 400,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  return csvResponse(exported.csv, exported.filename, request.signal);
}
