/**
 * The projected next invoice as the customer page shows it (client-safe): estimated lines in the
 * currency's minor unit, the period they are aligned to and the assumptions behind the projection.
 */

export type EstimateLineKind = "base" | "discount" | "seats" | "quota" | "overage";

export interface EstimateLine {
  kind: EstimateLineKind;
  /** Feature code for seats, quota and overage lines; null for base and discount. */
  featureCode: string | null;
  label: string;
  /** Units charged so far (extra seats, overage units) and projected to period end; null for base/discount. */
  quantity: number | null;
  projectedQuantity: number | null;
  /** Price per unit on Commet's rate scale (10000 = 1.00); the base price for a base line. */
  unitRate: number | null;
  /** Minor units (cents): what the line is now, and projected to the end of the period. */
  soFar: number;
  projected: number;
  /** Overage lines: the period's usage so far and projected, against the included amount. */
  usage?: { used: number; projectedUsed: number; included: number; unitName: string | null };
}

export interface InvoiceEstimate {
  currency: string;
  planName: string;
  /** The plan the next invoice's base and seats are on (a change scheduled for period end), when not the current one. */
  nextPlanName: string | null;
  interval: string | null;
  period: { start: string; end: string; days: number; elapsedDays: number };
  lines: EstimateLine[];
  /** Minor units: base + seats + quota + overage so far, and with overage projected to period end. */
  totalSoFar: number;
  totalProjected: number;
  assumptions: string[];
}

/** What the panel receives: an estimate, or why there is none (no subscription, no current period). */
export type ProjectedInvoicePanel = { kind: "estimate"; estimate: InvoiceEstimate } | { kind: "none"; reason: string };
