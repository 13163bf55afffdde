/** The Overview (/): the plan catalog, read live from Commet, and the newest customers from the directory index. */
import type { IndexedCustomer } from "../../app/contracts/directory.ts";
import type { PlanView } from "../../app/contracts/plans.ts";
import { listPlans, noteLivemode } from "../commet/index.ts";
import { newestCustomers } from "../directory/index.ts";

export const OVERVIEW_CUSTOMERS = 10;

export interface Overview {
  plans: PlanView[];
  /** Newest created first. */
  customers: IndexedCustomer[];
  hasMoreCustomers: boolean;
}

export async function loadOverview(
  sources: {
    plans?: () => Promise<PlanView[]>;
    customers?: (limit: number) => Promise<{ customers: IndexedCustomer[]; hasMore: boolean }>;
  } = {},
): Promise<Overview> {
  const [plans, newest] = await Promise.all([
    (sources.plans ?? listPlans)(),
    (sources.customers ?? newestCustomers)(OVERVIEW_CUSTOMERS),
  ]);
  if (plans[0]) noteLivemode(plans[0].livemode);
  return { plans, customers: newest.customers, hasMoreCustomers: newest.hasMore };
}
