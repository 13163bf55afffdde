import type { LoaderFunctionArgs } from "@remix-run/node";
import { Readable } from "node:stream";
import { requireStaff } from "../../server/auth/index.ts";
import { exportUsageCsv } from "../../server/usage/timeline/index.ts";
import { parseUsageSearch } from "~/contracts/usage-search";

/**
 * GET /usage/export.csv?<the explorer's filters> — the rows behind what /usage shows for the same
 * query string (customer × feature × UTC day, same order), streamed page by page from the rollups.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireStaff(request, "export:csv");
  const exported = await exportUsageCsv(parseUsageSearch(new URL(request.url).searchParams));
  if (exported.error !== null)
    return new Response(`${exported.error}\n`, {
      status: 400,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  const { csv, filename } = exported;
  request.signal.addEventListener("abort", () => csv.destroy());
  return new Response(Readable.toWeb(csv) as ReadableStream<Uint8Array>, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${filename}"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
