// The sandbox's customer routes: create (one or a batch), list, get and update customers.

import { z } from "zod";
import { type RouteDef, listReply, nonEmpty, page, pageQuery, parse } from "../api.ts";
import { errors } from "../errors.ts";
import { newId } from "../ids.ts";
import type { CustomerRow, Sandbox } from "../model.ts";
import { customerOut } from "../serialize.ts";

export const TIMEZONES = [
  "UTC",
  "America/New_York",
  "America/Chicago",
  "America/Denver",
  "America/Los_Angeles",
  "America/Sao_Paulo",
  "America/Mexico_City",
  "America/Buenos_Aires",
  "America/Santiago",
  "America/Bogota",
  "America/Lima",
  "America/Asuncion",
  "Europe/London",
  "Europe/Paris",
  "Europe/Berlin",
  "Europe/Madrid",
  "Asia/Tokyo",
  "Asia/Shanghai",
  "Asia/Singapore",
  "Asia/Dubai",
  "Australia/Sydney",
] as const;

const address = z.object({
  line1: nonEmpty,
  line2: z.string().optional(),
  city: nonEmpty,
  state: z.string().optional(),
  postalCode: nonEmpty,
  country: z.string().length(2),
  region: z.string().optional(),
});

const customerFields = {
  externalId: nonEmpty.max(255).optional(),
  fullName: z.string().max(255).optional(),
  taxDocument: z.string().max(64).optional(),
  timezone: z.enum(TIMEZONES).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  address: address.optional(),
};

const createSchema = z.object({
  id: nonEmpty.max(255).optional(),
  email: z.email(),
  addressId: z.string().optional(),
  ...customerFields,
});
const updateSchema = z.object({ email: z.email().optional(), ...customerFields });
const batchSchema = z.object({ customers: z.array(z.unknown()).min(1).max(100) });
const listSchema = z.object({ externalId: z.string().optional(), ...pageQuery });

type CreateInput = z.infer<typeof createSchema>;

/** Inserts one customer; returns the existing row (created=false) when the caller's `id` is already taken. */
export function insertCustomer(sb: Sandbox, input: CreateInput): { row: CustomerRow; created: boolean } {
  if (input.id) {
    const existing = sb.q("SELECT * FROM customers WHERE id = ?").get(input.id) as CustomerRow | undefined;
    if (existing) return { row: existing, created: false };
  }
  if (input.externalId && sb.q("SELECT 1 FROM customers WHERE external_id = ?").get(input.externalId)) {
    throw errors.duplicate(`A customer with externalId '${input.externalId}' already exists.`, "externalId");
  }
  const now = sb.clock.iso();
  const id = input.id ?? newId("cus");
  sb.q(
    `INSERT INTO customers (id, external_id, full_name, email, tax_document, timezone, metadata, address, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    id,
    input.externalId ?? null,
    input.fullName ?? null,
    input.email,
    input.taxDocument ?? null,
    input.timezone ?? null,
    input.metadata ? JSON.stringify(input.metadata) : null,
    input.address ? JSON.stringify(input.address) : null,
    now,
    now,
  );
  const row = sb.q("SELECT * FROM customers WHERE id = ?").get(id) as CustomerRow;
  sb.emit("customer.created", webhookCustomer(row));
  return { row, created: true };
}

function webhookCustomer(c: CustomerRow) {
  const { object: _o, livemode: _l, ...data } = customerOut(c);
  return data;
}

export const customerRoutes: RouteDef[] = [
  [
    "GET",
    "/api/v1/customers",
    ({ sb, query }) => {
      const q = parse(listSchema, query);
      const filters: Array<[string, unknown]> = q.externalId ? [["external_id = ?", q.externalId]] : [];
      return listReply(page<CustomerRow>(sb, "customers", filters, q), customerOut);
    },
  ],
  [
    "POST",
    "/api/v1/customers",
    ({ sb, body }) => {
      const input = parse(createSchema, body);
      const { row, created } = sb.tx(() => insertCustomer(sb, input));
      return { status: created ? 201 : 200, data: customerOut(row) };
    },
  ],
  [
    "POST",
    "/api/v1/customers/batch",
    ({ sb, body }) => {
      const { customers } = parse(batchSchema, body);
      const successful: Array<{ id: string; externalId: string | null; email: string }> = [];
      const failed: Array<{ index: number; error: string; data: unknown }> = [];
      sb.tx(() => {
        customers.forEach((raw, index) => {
          const r = createSchema.safeParse(raw);
          if (!r.success) {
            failed.push({
              index,
              error: r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
              data: raw,
            });
            return;
          }
          try {
            const { row } = insertCustomer(sb, r.data);
            successful.push({ id: row.id, externalId: row.external_id, email: row.email });
          } catch (e) {
            failed.push({ index, error: e instanceof Error ? e.message : String(e), data: raw });
          }
        });
      });
      return { status: 201, data: { successful, failed, object: "customer", livemode: false } };
    },
  ],
  ["GET", "/api/v1/customers/:id", ({ sb, params }) => ({ data: customerOut(sb.customer(params.id!)) })],
  [
    "PUT",
    "/api/v1/customers/:id",
    ({ sb, params, body }) => {
      const input = parse(updateSchema, body);
      const row = sb.tx(() => {
        const c = sb.customer(params.id!);
        if (input.externalId && input.externalId !== c.external_id) {
          if (sb.q("SELECT 1 FROM customers WHERE external_id = ?").get(input.externalId)) {
            throw errors.duplicate(`A customer with externalId '${input.externalId}' already exists.`, "externalId");
          }
        }
        const now = sb.clock.iso();
        sb.q(
          `UPDATE customers SET email = ?, full_name = ?, tax_document = ?, external_id = ?, timezone = ?, metadata = ?,
             address = ?, updated_at = ? WHERE id = ?`,
        ).run(
          input.email ?? c.email,
          input.fullName ?? c.full_name,
          input.taxDocument ?? c.tax_document,
          input.externalId ?? c.external_id,
          input.timezone ?? c.timezone,
          input.metadata ? JSON.stringify(input.metadata) : c.metadata,
          input.address ? JSON.stringify(input.address) : c.address,
          now,
          c.id,
        );
        const updated = sb.q("SELECT * FROM customers WHERE id = ?").get(c.id) as CustomerRow;
        sb.emit("customer.updated", webhookCustomer(updated));
        return updated;
      });
      return { data: customerOut(row) };
    },
  ],
];
