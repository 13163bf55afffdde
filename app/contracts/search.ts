import { z } from "zod";

/** The search box's query (?q=), parsed the same way by the palette and the /search resource route. */
export const searchQuerySchema = z.object({
  q: z.string().trim().max(200).catch(""),
  limit: z.coerce.number().int().min(1).max(20).catch(8),
});
export type SearchQuery = z.infer<typeof searchQuerySchema>;

export function parseSearchQuery(params: URLSearchParams): SearchQuery {
  return searchQuerySchema.parse({ q: params.get("q") ?? "", limit: params.get("limit") ?? undefined });
}

/** One hit as the palette shows it (mirrors server/directory's SearchHit; client-safe). */
export interface SearchHitView {
  id: string;
  externalId: string | null;
  email: string;
  fullName: string | null;
  planName: string | null;
  subscriptionStatus: string | null;
  matchedOn: "id" | "externalId" | "invoice" | "email" | "name";
  exact: boolean;
  invoiceNumber?: string;
}

export interface SearchAnswer {
  query: string;
  hits: SearchHitView[];
  exactHit: SearchHitView | null;
}
