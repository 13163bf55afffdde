/**
 * URL state of the /customers and /subscriptions tables (directory index): sort (`created` / `-created`), status,
 * plan, page and pageSize, parsed the same way by loaders and screens; bad values fall back to the defaults.
 */

import { z } from "zod";
import { wholeNumberParam } from "./number-input.ts";

export const TABLE_PAGE_SIZES = [25, 50, 100, 200] as const;

export const SUBSCRIPTION_STATUS_OPTIONS = [
  "active",
  "trialing",
  "past_due",
  "pending_payment",
  "canceled",
  "draft",
] as const;

const customerSorts = ["created", "email", "name", "plan", "status", "seats"] as const;
const subscriptionSorts = ["started", "status", "plan", "customer"] as const;

function sortSchema<S extends readonly [string, ...string[]]>(sorts: S, fallback: string) {
  return z
    .string()
    .regex(new RegExp(`^-?(${sorts.join("|")})$`))
    .catch(fallback);
}

const common = {
  plan: z.string().trim().min(1).max(200).optional().catch(undefined),
  page: z.preprocess(wholeNumberParam, z.number().int().min(1).max(100_000)).catch(1),
  pageSize: z
    .preprocess(wholeNumberParam, z.number())
    .refine((n) => (TABLE_PAGE_SIZES as readonly number[]).includes(n))
    .catch(25),
};

export const customersTableSchema = z.object({
  ...common,
  sort: sortSchema(customerSorts, "-created"),
  status: z
    .enum([...SUBSCRIPTION_STATUS_OPTIONS, "none"])
    .optional()
    .catch(undefined),
});

export const subscriptionsTableSchema = z.object({
  ...common,
  sort: sortSchema(subscriptionSorts, "-started"),
  status: z.enum(SUBSCRIPTION_STATUS_OPTIONS).optional().catch(undefined),
});

export type CustomersTableState = z.infer<typeof customersTableSchema>;
export type SubscriptionsTableState = z.infer<typeof subscriptionsTableSchema>;

function raw(params: URLSearchParams) {
  const get = (key: string) => params.get(key) || undefined;
  return { sort: get("sort"), status: get("status"), plan: get("plan"), page: get("page"), pageSize: get("pageSize") };
}

export const parseCustomersTable = (params: URLSearchParams) => customersTableSchema.parse(raw(params));
export const parseSubscriptionsTable = (params: URLSearchParams) => subscriptionsTableSchema.parse(raw(params));

/** `-created` → { sort: "created", dir: "desc" }. */
export function splitSort<T extends string>(sort: string): { sort: T; dir: "asc" | "desc" } {
  return sort.startsWith("-") ? { sort: sort.slice(1) as T, dir: "desc" } : { sort: sort as T, dir: "asc" };
}
