// A hydration-safe clock for relative times: the server's time first, then the browser's, ticking.

import { useEffect, useState } from "react";

/**
 * The clock relative times are rendered from: the server's `now` (from the loader) for the server render
 * and the browser's first render, so hydration sees the same text; then the browser's clock, ticking.
 */
export function useNow(serverNow: number, tickMs = 30_000): number {
  const [ticked, setTicked] = useState<number | null>(null);
  useEffect(() => {
    const timer = setInterval(() => setTicked(Date.now()), tickMs);
    return () => clearInterval(timer);
  }, [tickMs]);
  // Fresh loader data (a revalidation) brings a newer server clock than the last tick.
  return ticked !== null && ticked > serverNow ? ticked : serverNow;
}
