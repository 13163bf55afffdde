// /bulk/:batchId/result.csv and /bulk/:batchId/errors.csv — a batch's outcomes or its validation errors as CSV.

import { Readable } from "node:stream";
import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { bulkBatchCsv } from "../../server/bulk/index.ts";
import { csvResponse } from "../../server/csv/index.ts";
import { BULK_CSV_KINDS, bulkBatchIdSchema, type BulkCsvKind } from "~/contracts/bulk";

const FILES = new Map<string, BulkCsvKind>(BULK_CSV_KINDS.map((k) => [`${k}.csv`, k]));

/**
 * GET /bulk/:batchId/{result,errors}.csv (bulk:apply): result = row, outcome, Commet id of every row;
 * errors = every invalid or excluded row with its line and messages. Audited by server/bulk; 404 otherwise.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "bulk:apply");
  const id = bulkBatchIdSchema.safeParse(params.batchId);
  const which = FILES.get(params.file ?? "");
  const file = id.success && which ? await bulkBatchCsv(staff, id.data, which) : null;
  if (!file) return new Response("No such file\n", { status: 404, headers: { "Cache-Control": "no-store" } });
  return csvResponse(Readable.from([file.body]), file.fileName, request.signal);
}
