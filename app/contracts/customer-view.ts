/**
 * What the customer page's panels receive. Plain JSON (client-safe, no SDK classes): the route
 * streams each panel's promise to the browser, and the panel components import these types only.
 * Money: invoice amounts are in the currency's minor unit (cents), as Commet sends them.
 */
import type { Problem } from "./problem.ts";

/** A panel settles to its data or to the Problem that kept it from loading (never rejects). */
export type PanelResult<T> = { ok: true; data: T } | { ok: false; problem: Problem };

export interface ProfileView {
  id: string;
  externalId: string | null;
  fullName: string | null;
  email: string;
  taxDocument: string | null;
  timezone: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
  livemode: boolean;
}

export interface SubscriptionView {
  id: string;
  name: string;
  status: string;
  planId: string;
  planName: string;
  billingInterval: string | null;
  consumptionModel: string | null;
  trialEndsAt: string | null;
  currentPeriod: { start: string; end: string; daysRemaining: number } | null;
  cancellation: { scheduledAt: string; reason: string | null; effectiveAt: string } | null;
  cancelAtPeriodEnd: boolean;
  scheduledPlanChange: {
    changeType: string;
    newPlanName: string | null;
    newBillingInterval: string | null;
    scheduledFor: string;
  } | null;
  discount: { type: string; value: number; name: string | null; endsAt: string | null } | null;
  nextBillingDate: string | null;
  startDate: string;
  endDate: string | null;
  credits: { remaining: number; included: number; purchased: number } | null;
  balance: { remaining: number; included: number; currency: string } | null;
}

export interface FeatureView {
  code: string;
  name: string;
  type: string;
  allowed: boolean;
  enabled: boolean | null;
  current: number | null;
  included: number | null;
  remaining: number | null;
  overageQuantity: number | null;
  /** Rate scale (10000 = $1.00). */
  overageUnitPrice: number | null;
  overageEnabled: boolean | null;
  unlimited: boolean;
}

export interface SeatView {
  featureCode: string;
  current: number;
  asOf: string;
}

export interface QuotaView {
  featureCode: string;
  current: number;
  included: number;
  remaining: number | null;
  billedQuantity: number;
  unlimited: boolean;
  overageEnabled: boolean;
}

export interface InvoiceView {
  id: string;
  invoiceNumber: string;
  status: string;
  invoiceType: string;
  currency: string;
  /** Minor units (cents). */
  subtotal: number;
  total: number;
  periodStart: string;
  periodEnd: string;
  issueDate: string;
  dueDate: string;
  planName: string | null;
}

export interface StaffActionView {
  id: string;
  createdAt: number;
  actorEmail: string;
  role: string | null;
  action: string;
  status: string;
  errorCode: string | null;
}

export interface CustomerPanels {
  profile: Promise<PanelResult<ProfileView>>;
  subscription: Promise<PanelResult<SubscriptionView | null>>;
  history: Promise<PanelResult<SubscriptionView[]>>;
  features: Promise<PanelResult<FeatureView[]>>;
  seats: Promise<PanelResult<SeatView[]>>;
  quota: Promise<PanelResult<QuotaView[]>>;
  invoices: Promise<PanelResult<{ invoices: InvoiceView[]; hasMore: boolean }>>;
  staffActions: Promise<PanelResult<StaffActionView[]>>;
}

export type PanelName = keyof CustomerPanels;
