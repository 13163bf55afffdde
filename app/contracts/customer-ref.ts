// The customer reference in /customers/:customerId URLs (Commet id or externalId): its schema and links.

import { z } from "zod";

/**
 * The :customerId of /customers/:customerId — a Commet id or an externalId (client-safe, shared by
 * the routes and the links that build those URLs).
 */
export const customerRefSchema = z.string().trim().min(1).max(255);

export function parseCustomerRef(value: string | undefined): string | null {
  const parsed = customerRefSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

export function customerHref(ref: string): string {
  return `/customers/${encodeURIComponent(ref)}`;
}

/** Invoice ids as Commet issues them (inv_…); anything else never reaches the SDK. */
export const invoiceIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/);
