/** The customer directory as the screens show it (client-safe): indexed customers and subscriptions, sync progress. */

export interface IndexedCustomer {
  id: string;
  externalId: string | null;
  email: string;
  fullName: string | null;
  subscriptionId: string | null;
  subscriptionStatus: string | null;
  planId: string | null;
  planName: string | null;
  /** featureCode → seats, of the summary subscription. */
  seats: Record<string, number>;
  seatsTotal: number;
  /** Epoch ms (Commet's createdAt / updatedAt; indexedAt = when the console last wrote the row). */
  createdAt: number;
  updatedAt: number;
  indexedAt: number;
}

export interface IndexedSubscription {
  id: string;
  status: string | null;
  planId: string | null;
  planName: string | null;
  startDate: number | null;
  seats: Record<string, number> | null;
  /** Commet customer id, null while the customer is not indexed yet (then customerRef is all we know). */
  customerId: string | null;
  customerRef: string;
  customerEmail: string | null;
  customerName: string | null;
}

export interface Page<T> {
  rows: T[];
  /** Rows matching the filters (all pages). */
  total: number;
  /** Cursor of the next page, null on the last page. */
  nextCursor: string | null;
}

export type SyncPhase = "customers" | "subscriptions" | "invoices" | "done";
export type SyncRunStatus = "never" | "idle" | "running" | "waiting" | "interrupted" | "failed";

export interface SyncStatus {
  /** never: no run yet; idle: last run completed; waiting: rate limited until retryAt. */
  status: SyncRunStatus;
  phase: SyncPhase;
  /** Rows written by the current (or last) run. */
  customersSynced: number;
  subscriptionsSynced: number;
  pages: number;
  /** 429s the current (or last) run waited out. */
  rateLimited: number;
  startedAt: number | null;
  finishedAt: number | null;
  heartbeatAt: number | null;
  retryAt: number | null;
  lastError: string | null;
  lastCompletedAt: number | null;
  /** Customers in the index now. */
  indexedCustomers: number;
  /** Invoice numbers known to the search (from the sync's invoices phase and from webhooks). */
  indexedInvoices: number;
}

/** How a table names a customer it knows by a Commet id or an externalId: the indexed name and both ids. */
export type CustomerLabel = Pick<IndexedCustomer, "id" | "externalId" | "fullName" | "email">;
