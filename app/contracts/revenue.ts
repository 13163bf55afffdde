/**
 * The revenue overview (/revenue) as the page and its CSV see it: MRR/ARR by plan, MRR movements per
 * month, and collected / refunded / failed charges per month. Amounts are integers in minor units.
 */
import { z } from "zod";

export const REVENUE_MONTHS = [3, 6, 12] as const;
export type RevenueMonths = (typeof REVENUE_MONTHS)[number];

export const revenueSearchSchema = z.object({
  months: z.coerce
    .number()
    .int()
    .refine((n): n is RevenueMonths => (REVENUE_MONTHS as readonly number[]).includes(n), {
      message: "months must be 3, 6 or 12",
    })
    .default(6),
});
export type RevenueSearch = { months: RevenueMonths };

/** The URL's search (or a message for a bad one: the page answers 400 and reads nothing). */
export function parseRevenueSearch(params: URLSearchParams): { search: RevenueSearch; error: string | null } {
  const parsed = revenueSearchSchema.safeParse({ months: params.get("months") ?? undefined });
  if (!parsed.success) return { search: { months: 6 }, error: parsed.error.issues[0]?.message ?? "Bad query" };
  return { search: { months: parsed.data.months as RevenueMonths }, error: null };
}

/** Monthly factor of a billing interval (one-time prices recur never, so they add no MRR). */
export const MONTHLY_FACTOR: Record<string, number> = { weekly: 52 / 12, monthly: 1, quarterly: 1 / 3, yearly: 1 / 12 };

export interface MrrByPlan {
  planId: string;
  planName: string;
  /** The interval whose price was used (the plan's default price). */
  interval: string | null;
  subscriptions: number;
  /** Base prices normalised to a month, minor units. */
  baseMrr: number;
  /** Seats beyond the included ones at the seat price, normalised to a month, minor units. */
  seatsMrr: number;
  /**
   * Expected usage overage: each active customer's current-period overage projected to its period end (the
   * estimator), normalised to a month like the base price, minor units.
   */
  overageMrr: number;
  extraSeats: number;
  mrr: number;
  arr: number;
}

export interface MovementMonth {
  /** YYYY-MM (UTC). */
  month: string;
  newMrr: number;
  expansion: number;
  contraction: number;
  churn: number;
  net: number;
  counts: { new: number; expansion: number; contraction: number; churn: number };
}

export interface CollectionMonth {
  month: string;
  collected: number;
  refunded: number;
  failed: number;
}

export interface RevenueOverview {
  search: RevenueSearch;
  generatedAt: string;
  /** Plan prices carry no currency in Commet's API; they are the organization's base currency. */
  currency: string;
  mrr: {
    plans: MrrByPlan[];
    total: number;
    /** The expected overage part of `total`. */
    overageTotal: number;
    arr: number;
    subscriptions: number;
    /** Active subscriptions whose plan is not in Commet's catalog (counted, not valued). */
    unpriced: number;
  };
  movements: MovementMonth[];
  /** Per currency; `months` zero-filled over the window. */
  collections: Array<{
    currency: string;
    months: CollectionMonth[];
    collected: number;
    refunded: number;
    failed: number;
  }>;
  coverage: { perStatusLimit: number; statuses: Array<{ status: string; read: number; complete: boolean }> };
  /** Problems reading one of the sources (the rest of the page still renders). */
  errors: { plans: string | null; transactions: string | null };
}
