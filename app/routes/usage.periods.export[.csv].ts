// /usage/periods/export.csv — the billing-period view's rows (every page) as audited CSV.

import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { exportBillingPeriodCsv } from "../../server/billing/index.ts";
import { answerCommet } from "../../server/commet/index.ts";
import { csvResponse } from "../../server/csv/index.ts";
import { parsePeriodSearch } from "~/contracts/billing-periods";

/** GET /usage/periods/export.csv?mode&sort&plan&status (export:csv): one row per customer and usage feature. */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "export:csv");
  const answer = await answerCommet(() =>
    exportBillingPeriodCsv(staff, parsePeriodSearch(new URL(request.url).searchParams)),
  );
  if (!answer.ok)
    return new Response(`${answer.problem.message}\n`, {
      status: answer.status,
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
    });
  return csvResponse(answer.value.csv, answer.value.filename, request.signal);
}
