/**
 * The customer search's query and answer, shared by the command palette and the /search route
 * (docs/decisions/0006-customer-search-index.md).
 */

import { z } from "zod";
import { wholeNumberParam } from "./number-input.ts";

/** The search box's query (?q=), parsed the same way by the palette and the /search resource route. */
export const searchQuerySchema = z.object({
  q: z.string().trim().max(200).catch(""),
  limit: z.preprocess(wholeNumberParam, z.number().int().min(1).max(20)).catch(8),
});
export type SearchQuery = z.infer<typeof searchQuerySchema>;

export function parseSearchQuery(params: URLSearchParams): SearchQuery {
  return searchQuerySchema.parse({ q: params.get("q") ?? "", limit: params.get("limit") ?? undefined });
}

/** What the search answers (server/directory searchCustomers) and the palette shows. */
export type MatchedOn = "id" | "externalId" | "invoice" | "email" | "name";

export interface SearchHit {
  id: string;
  externalId: string | null;
  email: string;
  fullName: string | null;
  planName: string | null;
  subscriptionStatus: string | null;
  matchedOn: MatchedOn;
  /** The whole field equals the query (id, externalId, invoice number, full email or full name). */
  exact: boolean;
  /** The invoice number that matched, when matchedOn is "invoice". */
  invoiceNumber?: string;
}

export interface SearchResult {
  query: string;
  hits: SearchHit[];
  /** The single exact hit, when there is exactly one: Enter goes straight to it. */
  exactHit: SearchHit | null;
}
