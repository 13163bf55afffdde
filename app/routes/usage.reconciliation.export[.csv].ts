// /usage/reconciliation/export.csv — the reconciliation report's rows as audited CSV.

import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { answerCommet } from "../../server/commet/index.ts";
import { csvResponse } from "../../server/csv/index.ts";
import { exportClosedPeriodCsv } from "../../server/usage/timeline/index.ts";
import { parseReconSearch } from "~/contracts/reconciliation";

const text = (body: string, status: number) =>
  new Response(`${body}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });

/** GET /usage/reconciliation/export.csv?from&to&show (export:csv): the same rows the page shows, audited. */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "export:csv");
  const parsed = parseReconSearch(new URL(request.url).searchParams);
  if (!parsed.ok) return text(parsed.message, 400);
  const answer = await answerCommet(() => exportClosedPeriodCsv(staff, parsed.search));
  if (!answer.ok) return text(answer.problem.message, answer.status);
  return csvResponse(answer.value.csv, answer.value.filename, request.signal);
}
