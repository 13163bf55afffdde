/**
 * server/directory — the console's customer directory: a local index of Commet customers and
 * subscriptions, answering the search box and the customers / subscriptions tables. What an agent
 * reads on a customer's page stays live from Commet (server/commet); this index only finds people.
 *
 * Every function takes its dependencies: `database` is server/db's `Database` ({ db, dialect }, from
 * `getReadyDb()`), `commet` the SDK client (server/commet), clocks and sleeps are injectable.
 *
 * Search (search.ts)
 *   searchCustomers(database, query, { limit? = 10, max 50 }) → { query, hits: SearchHit[], exactHit }
 *     email: case-insensitive prefix · name: token prefixes, accents folded · externalId / Commet id:
 *     exact · invoice number (seen in webhooks): exact, case-insensitive. Hits carry `matchedOn`
 *     ("id" | "externalId" | "invoice" | "email" | "name") and `exact`; `exactHit` is the single exact
 *     hit when there is exactly one (Enter → open it).
 *
 *   searchEndpoint() — GET /search for Express, ahead of Remix (search-endpoint.ts): session and customers:read
 *     checked as requireStaff does, the query parsed by app/contracts/search.ts, the hits as private JSON.
 *
 * Tables (list.ts) — zod-validated options (ZodError on bad input; InvalidCursorError on a bad cursor)
 *   listIndexedCustomers(database, { sort: created|email|name|plan|status|seats, dir, status[], plan[],
 *     cursor | offset, limit ≤ 200 }) → { rows: IndexedCustomer[], total, nextCursor }
 *   getIndexedCustomer(database, idOrExternalId) → IndexedCustomer | null
 *   listIndexedSubscriptions(database, { sort: started|status|plan|customer, dir, status[], plan[],
 *     cursor | offset, limit }) → { rows: IndexedSubscription[], total, nextCursor }
 *   subscriptionStatusCounts(database, { plan?[] }) → { counts: Record<status, n>, total }
 *   listIndexedPlans(database) → [{ planId, planName, subscriptions }]
 *   indexedSubscriptionFacts(database) → every subscription's id, status, plan, start, seats (one scan)
 *   indexedSubscriptionPlans(database) → the same without seats (narrow scan)
 *   subscriptionGroups(database, status) → { planId, seats, count } per plan and seats (one grouped query)
 *   customerListOptionsSchema / subscriptionListOptionsSchema (reuse them to parse URL params)
 *
 * Sync (sync.ts; state and lease: sync-state.ts; pages: sync-pages.ts; periodic: resync.ts)
 *   runSync(database, commet, { log?, signal?, clock?, sleep?, pageSize?, … }) → SyncOutcome
 *     customers → subscriptions (+ seats of live ones) → invoice numbers; resumable (phase + cursor
 *     saved per page), waits out 429s, one run at a time (lease).
 *   getSyncStatus(database) → SyncStatus (progress for the UI)
 *   startPeriodicResync(database, commet, { intervalMs = 15 min, … }) → stop(): Promise<void>
 *
 * Webhooks (webhooks.ts)
 *   directoryWebhooks — the directory's contribution to server/webhooks (customer.*, subscription.*,
 *     trial.*, seats.updated, and invoice numbers from any event).
 */
export { searchCustomers, SEARCH_MAX_LIMIT } from "./search.ts";
export { SEARCH_PATH, searchEndpoint, type SearchEndpointOptions } from "./search-endpoint.ts";
export { customersPage, newestCustomers, searchDirectory, subscriptionsPage } from "./pages.ts";
export {
  CUSTOMER_SORTS,
  customerLabels,
  customerListOptionsSchema,
  getIndexedCustomer,
  indexedCustomersByEmail,
  indexedSubscriptionFacts,
  indexedSubscriptionPlans,
  InvalidCursorError,
  LIST_MAX_LIMIT,
  listIndexedCustomers,
  listIndexedPlans,
  listIndexedSubscriptions,
  SUBSCRIPTION_SORTS,
  SUBSCRIPTION_STATUSES,
  subscriptionGroups,
  subscriptionListOptionsSchema,
  subscriptionStatusCounts,
  type CustomerListOptions,
  type CustomerStatusFilter,
  type StatusCounts,
  type SubscriptionListOptions,
  type SubscriptionStatus,
} from "./list.ts";
export { runSync, type RunSyncOptions, type SyncOutcome } from "./sync.ts";
export { getSyncStatus } from "./sync-state.ts";
export type { SyncCommet } from "./sync-pages.ts";
export { startPeriodicResync, type PeriodicResyncOptions } from "./resync.ts";
export { directoryWebhooks } from "./webhooks.ts";
export type { DirectoryDb } from "./schema.ts";
