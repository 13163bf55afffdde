/** What the directory's screens read in one call each: the search box, the customers and subscriptions tables, the Overview's newest customers. */
import { getReadyDb } from "../db/index.ts";
import type { CustomersTableState, SubscriptionsTableState } from "../../app/contracts/directory-search.ts";
import { splitSort } from "../../app/contracts/directory-search.ts";
import type { IndexedCustomer } from "../../app/contracts/directory.ts";
import type { SearchQuery, SearchResult } from "../../app/contracts/search.ts";
import { listIndexedCustomers, listIndexedPlans, listIndexedSubscriptions, subscriptionStatusCounts } from "./list.ts";
import type { DirectoryDb } from "./schema.ts";
import { searchCustomers } from "./search.ts";
import { getSyncStatus } from "./sync-state.ts";

type TableState = CustomersTableState | SubscriptionsTableState;

/**
 * The filter options, status counts and sync progress both tables show beside their page of rows, and
 * the clock the sync's relative times are rendered from (the same on the server and in the browser).
 */
async function tableFrame(database: DirectoryDb, state: TableState) {
  const [plans, counts, sync] = await Promise.all([
    listIndexedPlans(database),
    subscriptionStatusCounts(database, state.plan ? { plan: [state.plan] } : {}),
    getSyncStatus(database),
  ]);
  return { state, plans, counts, sync, now: Date.now() };
}

function pageOptions<S extends TableState>(state: S) {
  return {
    status: state.status ? [state.status as NonNullable<S["status"]>] : [],
    plan: state.plan ? [state.plan] : [],
    offset: (state.page - 1) * state.pageSize,
    limit: state.pageSize,
  };
}

/** /customers: one page of indexed customers (server-side sort, filters, paging) and its frame. */
export async function customersPage(state: CustomersTableState, database?: DirectoryDb) {
  const db = database ?? (await getReadyDb());
  const { sort, dir } = splitSort<"created" | "email" | "name" | "plan" | "status" | "seats">(state.sort);
  const [page, frame] = await Promise.all([
    listIndexedCustomers(db, { sort, dir, ...pageOptions(state) }),
    tableFrame(db, state),
  ]);
  return { ...frame, rows: page.rows, total: page.total };
}

/** /subscriptions: one page of indexed subscriptions with their customer, and its frame. */
export async function subscriptionsPage(state: SubscriptionsTableState, database?: DirectoryDb) {
  const db = database ?? (await getReadyDb());
  const { sort, dir } = splitSort<"started" | "status" | "plan" | "customer">(state.sort);
  const [page, frame] = await Promise.all([
    listIndexedSubscriptions(db, { sort, dir, ...pageOptions(state) }),
    tableFrame(db, state),
  ]);
  return { ...frame, rows: page.rows, total: page.total };
}

/**
 * The newest customers by Commet's creation date (Commet's list API has no order: the index has),
 * and whether there are more.
 */
export async function newestCustomers(
  limit: number,
  database?: DirectoryDb,
): Promise<{ customers: IndexedCustomer[]; hasMore: boolean }> {
  const page = await listIndexedCustomers(database ?? (await getReadyDb()), { sort: "created", dir: "desc", limit });
  return { customers: page.rows, hasMore: page.nextCursor !== null };
}

/** The search box (/search): hits from the index for the palette's query. */
export async function searchDirectory({ q, limit }: SearchQuery, database?: DirectoryDb): Promise<SearchResult> {
  return searchCustomers(database ?? (await getReadyDb()), q, { limit });
}
