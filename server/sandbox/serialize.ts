// The sandbox's rows in the response shapes of @commet/node 7.10.0 (dist/index.d.ts).

import type { CustomerRow, EndpointRow, FeatureRow, PlanGroupRow, PlanRow, Sandbox, SubscriptionRow } from "./model.ts";
import { parseJson } from "./model.ts";
import { scheduledPlanChangeOut } from "./plan-change.ts";

/** The local tax document label, inferred from the address country as Commet does (fallback TAX_ID). */
const DOCUMENT_TYPES: Record<string, string> = {
  AR: "CUIT",
  MX: "RFC",
  CL: "RUT",
  BR: "CPF",
  CO: "NIT",
  PE: "RUC",
  UY: "RUT",
  PY: "RUC",
  US: "EIN",
  ES: "NIF",
  DE: "USt-IdNr",
  FR: "SIREN",
  GB: "VAT",
};

function documentType(address: string | null): string {
  const country = address ? (JSON.parse(address) as { country?: string }).country?.toUpperCase() : undefined;
  return (country && DOCUMENT_TYPES[country]) ?? "TAX_ID";
}

export function customerOut(c: CustomerRow) {
  return {
    id: c.id,
    externalId: c.external_id,
    fullName: c.full_name,
    email: c.email,
    taxDocument: c.tax_document,
    documentType: c.tax_document ? documentType(c.address) : null,
    timezone: c.timezone,
    metadata: parseJson<Record<string, unknown>>(c.metadata),
    createdAt: c.created_at,
    updatedAt: c.updated_at,
    object: "customer" as const,
    livemode: false,
  };
}

export function featureOut(f: FeatureRow) {
  return {
    id: f.id,
    name: f.name,
    code: f.code,
    type: f.type,
    description: f.description,
    unitName: f.unit_name,
    createdAt: f.created_at,
    updatedAt: f.updated_at,
    object: "feature" as const,
    livemode: false,
  };
}

export function planOut(sb: Sandbox, p: PlanRow) {
  const features = [...(sb.catalog.planFeatures.get(p.id)?.values() ?? [])].map((pf) => {
    const f = sb.catalog.featuresByCode.get(pf.feature_code)!;
    const metered = f.type !== "boolean";
    return {
      code: f.code,
      name: f.name,
      type: f.type,
      unitName: f.unit_name,
      enabled: pf.enabled === 1,
      includedAmount: metered ? pf.included : null,
      unlimited: pf.unlimited === 1,
      overage: metered
        ? {
            enabled: pf.overage_enabled === 1,
            model: pf.overage_enabled ? ("per_unit" as const) : null,
            unitPrice: pf.overage_unit_price,
          }
        : null,
    };
  });
  return {
    id: p.id,
    name: p.name,
    code: p.code,
    description: p.description,
    consumptionModel: p.consumption_model,
    isPublic: p.is_public === 1,
    isDefault: p.is_default === 1,
    isFree: p.is_free === 1,
    blockOnExhaustion: p.block_on_exhaustion === null ? null : p.block_on_exhaustion === 1,
    sortOrder: sb.catalog.groupOfPlan.get(p.id)?.sortOrder ?? p.sort_order,
    planGroupId: sb.catalog.groupOfPlan.get(p.id)?.groupId ?? null,
    metadata: parseJson<Record<string, unknown>>(p.metadata),
    createdAt: p.created_at,
    updatedAt: p.updated_at,
    features,
    prices: [
      {
        billingInterval: p.billing_interval,
        price: p.price,
        isDefault: true,
        trialDays: p.trial_days,
        includedBalance: null,
        includedCredits: p.included_credits,
        introOffer: null,
      },
    ],
    object: "plan" as const,
    livemode: false,
  };
}

/** `PlanGroup` (list) / `PlanGroupDetail` (get, with its plans in sortOrder). */
export function planGroupOut(sb: Sandbox, g: PlanGroupRow, withPlans: boolean) {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    isPublic: g.is_public === 1,
    createdAt: g.created_at,
    updatedAt: g.updated_at,
    ...(withPlans
      ? {
          plans: sb.catalog
            .groupPlans(g.id)
            .map(({ plan, sortOrder }) => ({ id: plan.id, name: plan.name, sortOrder })),
        }
      : {}),
    object: "plan_group" as const,
    livemode: false,
  };
}

const DAY_MS = 86_400_000;

export function subscriptionOut(sb: Sandbox, s: SubscriptionRow, withFeatures: boolean) {
  const plan = sb.catalog.plansById.get(s.plan_id)!;
  const live = s.status === "active" || s.status === "trialing" || s.status === "past_due";
  const nowMs = sb.clock.nowMs();
  const currentPeriod =
    s.period_start && s.period_end
      ? {
          start: s.period_start,
          end: s.period_end,
          daysRemaining: Math.max(0, Math.ceil((Date.parse(s.period_end) - nowMs) / DAY_MS)),
        }
      : null;
  const out: Record<string, unknown> = {
    id: s.id,
    customerId: s.customer_id,
    plan: { id: plan.id, name: plan.name, basePrice: plan.price },
    name: s.name,
    description: s.description,
    status: s.status,
    billingInterval: s.billing_interval,
    consumptionModel: plan.consumption_model,
    trialEndsAt: s.trial_ends_at,
    currentPeriod,
  };
  if (withFeatures) {
    out.features = [...(sb.catalog.planFeatures.get(plan.id)?.values() ?? [])].map((pf) => {
      const f = sb.catalog.featuresByCode.get(pf.feature_code)!;
      const item: Record<string, unknown> = { code: f.code, name: f.name, type: f.type, enabled: pf.enabled === 1 };
      if (live && f.type !== "boolean") {
        const current =
          f.type === "usage"
            ? sb.usageTotal(s, f.code)
            : f.type === "seats"
              ? sb.seatCount(s.customer_id, f.code)
              : sb.quotaCount(s.customer_id, f.code);
        const included = pf.included ?? 0;
        item.usage = {
          current,
          included,
          overageQuantity: pf.overage_enabled ? Math.max(0, current - included) : 0,
          ...(pf.overage_unit_price !== null ? { overageUnitPrice: pf.overage_unit_price } : {}),
        };
      }
      return item;
    });
  }
  out.credits =
    plan.consumption_model === "credits"
      ? { remaining: s.credits_remaining ?? 0, included: plan.included_credits ?? 0, purchased: s.credits_purchased }
      : null;
  out.balance = null;
  out.cancellation = s.canceled_at
    ? { scheduledAt: s.canceled_at, reason: s.cancel_reason, effectiveAt: s.end_date ?? s.period_end ?? s.canceled_at }
    : null;
  out.cancelAtPeriodEnd = s.cancel_at_period_end === 1;
  // Only a live subscription has a pending change (one ended by a refund may leave its row behind).
  out.scheduledPlanChange = live ? scheduledPlanChangeOut(sb, s.id) : null;
  out.discount = null;
  out.startDate = s.start_date;
  out.endDate = s.end_date;
  out.billingDayOfMonth = s.period_start ? new Date(s.period_start).getUTCDate() : null;
  out.nextBillingDate = live && !s.cancel_at_period_end ? s.period_end : null;
  out.checkoutUrl = s.status === "pending_payment" ? `${sb.origin()}/checkout/${s.id}` : null;
  out.checkoutProvider = s.status === "pending_payment" ? "commet" : null;
  out.createdAt = s.created_at;
  out.updatedAt = s.updated_at;
  out.object = "subscription";
  out.livemode = false;
  return out;
}

export interface InvoiceRowFull {
  seq: number;
  id: string;
  customer_id: string;
  subscription_id: string | null;
  invoice_number: string;
  status: string;
  invoice_type: string;
  currency: string;
  subtotal: number;
  discount_amount: number;
  tax_amount: number;
  total: number;
  period_start: string;
  period_end: string;
  issue_date: string;
  due_date: string;
  plan_name: string | null;
  memo: string | null;
  line_items: string;
  created_at: string;
  updated_at: string;
}

/**
 * Amounts in cents: subtotal = the charges; discountAmount = the discount lines; creditApplied = the credit lines
 * (account credit, shown as a positive amount); total = subtotal − discountAmount − creditApplied + taxAmount.
 */
export function invoiceOut(i: InvoiceRowFull, withLines: boolean) {
  const lines = JSON.parse(i.line_items) as Array<{ lineType: string; amount: number }>;
  const creditApplied = -lines.filter((l) => l.lineType === "credit").reduce((a, l) => a + l.amount, 0);
  const out: Record<string, unknown> = {
    id: i.id,
    customerId: i.customer_id,
    subscriptionId: i.subscription_id,
    invoiceNumber: i.invoice_number,
    status: i.status,
    invoiceType: i.invoice_type,
    currency: i.currency,
    subtotal: i.subtotal,
    discountAmount: i.discount_amount,
    creditApplied,
    taxAmount: i.tax_amount,
    total: i.total,
    periodStart: i.period_start,
    periodEnd: i.period_end,
    issueDate: i.issue_date,
    dueDate: i.due_date,
    planName: i.plan_name,
    memo: i.memo,
    poNumber: null,
    reference: null,
    metadata: {},
    createdAt: i.created_at,
    updatedAt: i.updated_at,
  };
  if (withLines) out.lineItems = lines;
  out.object = "invoice";
  out.livemode = false;
  return out;
}

export interface TransactionRow {
  seq: number;
  id: string;
  invoice_id: string | null;
  customer_id: string;
  gross_amount: number | null;
  subtotal: number | null;
  tax_amount: number | null;
  currency: string;
  provider: string;
  status: string;
  customer_email: string | null;
  customer_name: string | null;
  paid_at: string | null;
  created_at: string;
  updated_at: string;
}

export function transactionOut(t: TransactionRow) {
  return {
    id: t.id,
    invoiceId: t.invoice_id,
    grossAmount: t.gross_amount,
    subtotal: t.subtotal,
    taxAmount: t.tax_amount,
    presentmentAmount: null,
    currency: t.currency,
    provider: t.provider,
    status: t.status,
    customerEmail: t.customer_email,
    customerName: t.customer_name,
    paidAt: t.paid_at,
    createdAt: t.created_at,
    updatedAt: t.updated_at,
    availableAt: t.paid_at,
    object: "transaction" as const,
    livemode: false,
  };
}

export function endpointOut(e: EndpointRow) {
  return {
    id: e.id,
    object: "webhook" as const,
    livemode: false,
    url: e.url,
    events: JSON.parse(e.events) as string[],
    description: e.description,
    isActive: e.is_active === 1,
    apiVersion: e.api_version,
    createdAt: e.created_at,
  };
}
