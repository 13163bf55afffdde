/**
 * One page of each sync phase, fetched from Commet and mapped to index rows; `apply` writes it in the
 * page's transaction. Items without the documented shape are skipped and logged, not fatal.
 */
import type { Commet } from "@commet/node";
import { z } from "zod";
import { commetCustomerSchema, customerInput } from "./commet-customer.ts";
import type { Db } from "./schema.ts";
import { recordInvoice, upsertCustomers, upsertSubscriptions, type SubscriptionInput } from "./store.ts";
import type { SyncPhase } from "../../app/contracts/directory.ts";

/** The part of the SDK the sync uses (a real `Commet` fits). */
export interface SyncCommet {
  customers: Pick<Commet["customers"], "list">;
  invoices: Pick<Commet["invoices"], "list">;
  subscriptions: Pick<Commet["subscriptions"], "list" | "get">;
}

export interface FetchedPage {
  /** Writes the page's rows; returns how many. */
  apply: (trx: Db, at: number) => Promise<number>;
  /** Cursor of the next page; null after the phase's last page. */
  next: string | null;
}

export interface PageRequest {
  cursor: string | undefined;
  limit: number;
  /** Fetch each live subscription (subscriptions.get) for its seat counts. */
  fetchSeats: boolean;
  signal: AbortSignal | undefined;
  log: (line: string) => void;
}

const featureSchema = z.object({
  code: z.string(),
  type: z.string(),
  usage: z.object({ current: z.number() }).optional(),
});

const subscriptionSchema = z.object({
  id: z.string().min(1),
  customerId: z.string().min(1),
  plan: z.object({ id: z.string(), name: z.string() }).nullable().optional(),
  status: z.string(),
  startDate: z.string().nullable().optional(),
  features: z.array(featureSchema).optional(),
});

const invoiceSchema = z.object({
  id: z.string().min(1),
  customerId: z.string().min(1),
  invoiceNumber: z.string().min(1),
});

const LIVE = new Set(["active", "trialing", "past_due"]);

export function fetchPage(commet: SyncCommet, phase: SyncPhase, request: PageRequest): Promise<FetchedPage> {
  if (phase === "customers") return fetchCustomers(commet, request);
  if (phase === "subscriptions") return fetchSubscriptions(commet, request);
  return fetchInvoices(commet, request);
}

function validItems<S extends z.ZodType>(
  items: unknown[] | undefined,
  schema: S,
  what: string,
  log: (l: string) => void,
): z.infer<S>[] {
  const out: z.infer<S>[] = [];
  for (const item of items ?? []) {
    const parsed = schema.safeParse(item);
    if (parsed.success) out.push(parsed.data);
    else {
      const id = typeof item === "object" && item !== null && "id" in item ? String(item.id) : "?";
      log(`skipped ${what} ${id}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    }
  }
  return out;
}

function nextCursor(res: { hasMore?: boolean; nextCursor?: string }): string | null {
  return res.hasMore && res.nextCursor ? res.nextCursor : null;
}

async function fetchCustomers(commet: SyncCommet, { cursor, limit, log }: PageRequest): Promise<FetchedPage> {
  const res = await commet.customers.list({ limit, ...(cursor ? { cursor } : {}) });
  const rows = validItems(res.data, commetCustomerSchema, "customer", log).map(customerInput);
  return {
    next: nextCursor(res),
    apply: async (trx, at) => {
      await upsertCustomers(trx, rows, at);
      return rows.length;
    },
  };
}

async function fetchSubscriptions(
  commet: SyncCommet,
  { cursor, limit, fetchSeats, signal, log }: PageRequest,
): Promise<FetchedPage> {
  // The SDK's ListSubscriptionsParams lacks the paging fields the endpoint pages with; they travel
  // as query parameters like every other GET param.
  const params: Parameters<SyncCommet["subscriptions"]["list"]>[0] = { limit, ...(cursor ? { cursor } : {}) } as never;
  const res = await commet.subscriptions.list(params);
  const rows: SubscriptionInput[] = [];
  for (const s of validItems(res.data, subscriptionSchema, "subscription", log)) {
    let features = s.features;
    if (!features && fetchSeats && LIVE.has(s.status) && !signal?.aborted) {
      const full = await commet.subscriptions.get({ id: s.id });
      features = subscriptionSchema.shape.features.parse((full.data as { features?: unknown } | undefined)?.features);
    }
    const seatFeatures = (features ?? []).filter((f) => f.type === "seats");
    rows.push({
      id: s.id,
      customerRef: s.customerId,
      status: s.status,
      planId: s.plan?.id ?? null,
      planName: s.plan?.name ?? null,
      startDate: s.startDate ?? null,
      seats: features ? Object.fromEntries(seatFeatures.map((f) => [f.code, f.usage?.current ?? 0])) : null,
    });
  }
  return {
    next: nextCursor(res),
    apply: async (trx, at) => {
      await upsertSubscriptions(trx, rows, at, at);
      return rows.length;
    },
  };
}

async function fetchInvoices(commet: SyncCommet, { cursor, limit, log }: PageRequest): Promise<FetchedPage> {
  const res = await commet.invoices.list({ limit, ...(cursor ? { cursor } : {}) });
  const rows = validItems(res.data, invoiceSchema, "invoice", log);
  return {
    next: nextCursor(res),
    apply: async (trx, at) => {
      for (const i of rows)
        await recordInvoice(trx, { invoiceNumber: i.invoiceNumber, invoiceId: i.id, customerRef: i.customerId }, at);
      return rows.length;
    },
  };
}
