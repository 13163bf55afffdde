// /search — the command palette's customer lookup (docs/decisions/0006-customer-search-index.md).

import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { searchDirectory } from "../../server/directory/index.ts";
import { parseSearchQuery } from "~/contracts/search";

/**
 * GET /search?q= — the search box (command palette): hits from the local directory index
 * (email prefix, name words, externalId / Commet id / invoice number exact) as JSON.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireStaff(request, "customers:read");
  const result = await searchDirectory(parseSearchQuery(new URL(request.url).searchParams));
  return Response.json(result, { headers: { "Cache-Control": "private, no-store" } });
}
