// /bulk/templates/:kind — the CSV template of seat changes or manual usage (header and example rows).

import { Readable } from "node:stream";
import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { csvResponse } from "../../server/csv/index.ts";
import { BULK_KINDS, bulkTemplateCsv, bulkTemplateFileName, type BulkKind } from "~/contracts/bulk";

const isKind = (value: string | undefined): value is BulkKind =>
  (BULK_KINDS as readonly string[]).includes(value ?? "");

/** GET /bulk/templates/seats | usage (bulk:apply); any other kind is a 404. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireStaff(request, "bulk:apply");
  if (!isKind(params.kind))
    return new Response("No such template\n", { status: 404, headers: { "Cache-Control": "no-store" } });
  return csvResponse(Readable.from([bulkTemplateCsv(params.kind)]), bulkTemplateFileName(params.kind), request.signal);
}
