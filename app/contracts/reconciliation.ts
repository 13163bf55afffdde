/**
 * Closed-period reconciliation (client-safe): what the console's usage timeline tracked in each customer's
 * closed billing period against the lines Commet invoiced for it, per customer and feature.
 */
import { z } from "zod";

const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "Use a date like 2026-11-30.")
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), "Not a calendar date.");

/** Which closed periods: those whose period END falls in [from, to] (UTC days); default the last 31 days. */
export const reconSearchSchema = z
  .object({
    from: isoDay.optional(),
    to: isoDay.optional(),
    /** "differs" (default) shows flagged rows only; "all" every compared row. */
    show: z.enum(["differs", "all"]).default("differs"),
  })
  .refine((s) => !s.from || !s.to || s.from <= s.to, { message: "'from' must not be after 'to'.", path: ["from"] });
export type ReconSearch = z.infer<typeof reconSearchSchema>;

export function parseReconSearch(
  params: URLSearchParams,
): { ok: true; search: ReconSearch } | { ok: false; message: string } {
  const raw = Object.fromEntries([...params].filter(([, v]) => v !== ""));
  const parsed = reconSearchSchema.safeParse(raw);
  if (parsed.success) return { ok: true, search: parsed.data };
  return { ok: false, message: parsed.error.issues.map((i) => i.message).join(" ") };
}

export function reconSearchString(search: Partial<ReconSearch>): string {
  const p = new URLSearchParams();
  if (search.from) p.set("from", search.from);
  if (search.to) p.set("to", search.to);
  if (search.show && search.show !== "differs") p.set("show", search.show);
  const s = p.toString();
  return s ? `?${s}` : "";
}

/**
 * - match: invoiced and tracked agree;
 * - used_differs: the invoice's "used" is not what the timeline tracked (e.g. lost usage webhooks);
 * - unbilled_overage: the timeline is over the included amount but the invoice has no overage line;
 * - untracked_line: an overage line for a feature the timeline has nothing for in that period.
 */
export type ReconFlag = "match" | "used_differs" | "unbilled_overage" | "untracked_line";

export interface ReconRow {
  customerId: string;
  customerExternalId: string | null;
  customerName: string | null;
  invoiceId: string;
  invoiceNumber: string;
  planName: string | null;
  periodStart: string;
  periodEnd: string;
  currency: string;
  featureCode: string | null;
  featureName: string;
  unitName: string | null;
  included: number | null;
  /** Usage per the invoice line (null: no line — below the included amount as far as Commet billed). */
  invoicedUsed: number | null;
  invoicedOverage: number;
  /** Invoice line amount, minor units of `currency`. */
  invoicedAmount: number;
  trackedUsed: number;
  trackedOverage: number | null;
  /** The tracked overage priced at the line's (or the plan's) unit price, minor units; null without a price. */
  trackedAmount: number | null;
  /** invoiced − tracked, units (null when the invoice states no usage). */
  usedDiff: number | null;
  overageDiff: number | null;
  /** invoiced − tracked, minor units. */
  amountDiff: number | null;
  flag: ReconFlag;
}

export interface ReconTotals {
  invoices: number;
  customers: number;
  compared: number;
  flagged: number;
  byCurrency: Array<{ currency: string; invoiced: number; tracked: number; diff: number }>;
}

export interface ReconReport {
  from: string;
  to: string;
  rows: ReconRow[];
  totals: ReconTotals;
  /** More invoices than one report reads: the oldest were not scanned. */
  truncated: boolean;
  /** Invoices whose lines could not be read (Commet errors); they are not in `rows`. */
  failed: Array<{ invoiceId: string; error: string }>;
  catalogError: string | null;
  /** What the timeline holds (UTC days): periods outside it compare against history the console never received. */
  timeline: { events: number; firstDay: string | null; lastDay: string | null };
  /** Compared periods that start before the timeline's first day or end after its last one. */
  beyondTimeline: number;
  tookMs: number;
}

export const RECON_FLAG_LABELS: Record<ReconFlag, string> = {
  match: "Match",
  used_differs: "Usage differs",
  unbilled_overage: "Overage not invoiced",
  untracked_line: "Invoiced, not tracked",
};
