import type { LoaderFunctionArgs } from "@remix-run/node";
import { Readable } from "node:stream";
import { requireStaff } from "../../server/auth/index.ts";
import { getReadyDb } from "../../server/db/index.ts";
import { InvalidRangeError, parseExplorerFilters, streamUsageCsv } from "../../server/usage/timeline/index.ts";
import { parseUsageSearch, usageSearchString } from "~/contracts/usage-search";

/**
 * GET /usage/export.csv?<the explorer's filters> — the rows behind what /usage shows for the same
 * query string (customer × feature × UTC day, same order), streamed page by page from the rollups.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireStaff(request, "export:csv");
  const search = parseUsageSearch(new URL(request.url).searchParams);
  let filters;
  try {
    filters = parseExplorerFilters(new URLSearchParams(usageSearchString(search, { withSort: false })), Date.now());
  } catch (error) {
    if (error instanceof InvalidRangeError)
      return new Response(`${error.message}\n`, {
        status: 400,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    throw error;
  }
  const database = await getReadyDb();
  const csv = streamUsageCsv(database, filters);
  const range = `${new Date(filters.range.fromDay * 86_400_000).toISOString().slice(0, 10)}_${new Date(
    filters.range.toDay * 86_400_000,
  )
    .toISOString()
    .slice(0, 10)}`;
  request.signal.addEventListener("abort", () => csv.destroy());
  return new Response(Readable.toWeb(csv) as ReadableStream<Uint8Array>, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="usage_${range}_UTC.csv"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
