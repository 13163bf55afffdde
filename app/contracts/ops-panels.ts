/** What the ops write forms of the customer page start from (read fresh by server/seats and server/usage). Client-safe. */
import type { UsageFeatureOption } from "./ops-forms.ts";

export interface SeatPanel {
  customer: { id: string; email: string; livemode: boolean } | null;
  livemode: boolean;
  period: { start: string; end: string } | null;
  planName: string;
  seatTypes: Array<{
    code: string;
    name: string;
    current: number;
    included: number | null;
    unlimited: boolean;
    /** Price of an extra seat on Commet's rate scale (10000 = $1.00), or null. */
    unitPrice: number | null;
  }>;
}

export interface UsagePanel {
  livemode: boolean;
  /** The current billing period (event times must fall in it). */
  period: { start: string; end: string } | null;
  /** Usage features of the plan with this period's total so far (what "set exact" replaces). */
  features: Array<UsageFeatureOption & { current: number | null; included: number | null }>;
}
