/**
 * Server-side tables keep their state (filters, page, page size, sort) in the URL: the loader parses
 * it with a zod schema, and these helpers build links that change one part of it.
 */

import { useLocation } from "@remix-run/react";

export function useSearchWith(): (changes: Record<string, string | number | null | undefined>) => string {
  const location = useLocation();
  return (changes) => {
    const params = new URLSearchParams(location.search);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === undefined || value === "") params.delete(key);
      else params.set(key, String(value));
    }
    const search = params.toString();
    return `${location.pathname}${search ? `?${search}` : ""}`;
  };
}
