// /revenue/export.csv — the revenue overview's figures as audited CSV.

import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { csvResponse } from "../../server/csv/index.ts";
import { exportRevenueCsv } from "../../server/revenue/index.ts";
import { parseRevenueSearch } from "~/contracts/revenue";

/** GET (export:csv — finance and admin, the roles of revenue:read): the overview's rows; audited. */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "export:csv");
  const { search, error } = parseRevenueSearch(new URL(request.url).searchParams);
  if (error)
    return new Response(`${error}\n`, { status: 400, headers: { "content-type": "text/plain; charset=utf-8" } });
  const exported = await exportRevenueCsv(staff, search);
  return csvResponse(exported.csv, exported.filename, request.signal);
}
