import type { Customer } from "@commet/node";
import { getCommet } from "./client.ts";
import { callCommet } from "./errors.ts";

export type CustomerRow = {
  id: string;
  externalId: string | null;
  fullName: string | null;
  email: string;
  createdAt: string;
  livemode: boolean;
};

export type CustomerPage = {
  customers: CustomerRow[];
  hasMore: boolean;
  /** Cursor of the next page, as Commet returned it; null on the last page. */
  nextCursor: string | null;
};

export function toCustomerRow(customer: Customer): CustomerRow {
  return {
    id: customer.id,
    externalId: customer.externalId,
    fullName: customer.fullName,
    email: customer.email,
    createdAt: customer.createdAt,
    livemode: customer.livemode,
  };
}

/** One page of customers, following Commet's cursor pagination. */
export async function listCustomers(params: {
  cursor?: string;
  limit: number;
  externalId?: string;
}): Promise<CustomerPage> {
  const response = await callCommet(() =>
    getCommet().customers.list({ limit: params.limit, cursor: params.cursor, externalId: params.externalId }),
  );
  const hasMore = response.hasMore ?? false;
  return {
    customers: (response.data ?? []).map(toCustomerRow),
    hasMore,
    nextCursor: hasMore ? (response.nextCursor ?? null) : null,
  };
}
