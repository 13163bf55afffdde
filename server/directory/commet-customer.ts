/** A Commet customer as customers.list pages and customer.* webhooks both carry it, and its index row. */
import { z } from "zod";
import type { CustomerInput } from "./store.ts";

export const commetCustomerSchema = z.object({
  id: z.string().min(1),
  externalId: z.string().nullable().optional(),
  email: z.string(),
  fullName: z.string().nullable().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export function customerInput(c: z.infer<typeof commetCustomerSchema>): CustomerInput {
  return {
    id: c.id,
    externalId: c.externalId ?? null,
    email: c.email,
    fullName: c.fullName ?? null,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}
