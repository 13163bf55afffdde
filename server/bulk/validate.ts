/**
 * Validates parsed rows against Commet's live state with bounded parallel reads — customers (Commet id,
 * external id or email), their plan and period, seat balances — and computes each valid row's dry run.
 */
import { CommetAPIError, type Commet } from "@commet/node";
import {
  type BulkKind,
  type BulkRowEffect,
  type BulkRowError,
  type BulkRowStatus,
  type BulkTotals,
} from "../../app/contracts/bulk.ts";
import { formatQuantity } from "../../app/contracts/format.ts";
import { formatRateCents } from "../../app/contracts/money.ts";
import { FUTURE_TOLERANCE_MS, allowsDecimals, parseEventTime, type SeatOp } from "../../app/contracts/ops-forms.ts";
import { loadBillingContext, periodStartOf, usageFeaturesOf, type BillingContext } from "../billing/index.ts";
import { describeSeatChange, readSeatCount, seatTypesOf } from "../seats/index.ts";
import { mapLimit } from "./limit.ts";
import type { ParsedRow } from "./parse.ts";

/** What a valid row writes (stored with the row; the runner sends it with the row's key). */
export type RowChange =
  | {
      kind: "seats";
      customerId: string;
      seatType: string;
      op: SeatOp;
      quantity: number;
      /** The count the dry run read: apply refuses the row when Commet holds another one. */
      seenCount: number;
      to: number;
      reason: string;
    }
  | {
      kind: "usage";
      customerId: string;
      feature: string;
      quantity: number;
      /** ISO; null = the time of apply. */
      eventTime: string | null;
      reason: string;
    };

export interface ValidatedRow {
  line: number;
  status: Extract<BulkRowStatus, "invalid" | "ready">;
  customerRef: string;
  customerId: string | null;
  summary: string;
  errors: BulkRowError[];
  effect: BulkRowEffect | null;
  change: RowChange | null;
  idempotencyKey: string;
  livemode: boolean;
}

export interface ValidateDeps {
  commet: Commet;
  now: number;
  /** Customers by email (lower-cased), from the console's directory: Commet's API looks customers up by id only. */
  customersByEmail(emails: string[]): Promise<Map<string, string>>;
  /** Parallel Commet reads at most (default 8). */
  concurrency?: number;
}

interface Customer {
  id: string;
  email: string;
  livemode: boolean;
}

type Resolved = { ok: true; customer: Customer } | { ok: false; message: string };

const isNotFound = (error: unknown) => error instanceof CommetAPIError && error.statusCode === 404;

/** The row's Idempotency-Key: the row's own key, else the file's hash and the row's line. */
export function rowKey(fileHash: string, line: number, ownKey?: string): string {
  return ownKey ?? `bulk-${fileHash.slice(0, 40)}-${line}`;
}

export async function validateRows(
  kind: BulkKind,
  fileHash: string,
  rows: readonly ParsedRow[],
  deps: ValidateDeps,
): Promise<{ rows: ValidatedRow[]; totals: BulkTotals }> {
  const limit = deps.concurrency ?? 8;
  const commet = deps.commet;

  // Customers: each distinct reference once.
  const refs = [...new Set(rows.flatMap((r) => (r.values ? [r.values.row.customer.trim()] : [])))];
  const emails = refs.filter((r) => r.includes("@"));
  const byEmail = emails.length ? await deps.customersByEmail(emails.map((e) => e.toLowerCase())) : new Map();
  const customers = new Map<string, Resolved>();
  await mapLimit(refs, limit, async (ref) => {
    customers.set(ref, await resolveCustomer(commet, ref, byEmail));
  });

  // Billing context (plan, period) per customer.
  const ids = [...new Set([...customers.values()].flatMap((c) => (c.ok ? [c.customer.id] : [])))];
  const contexts = new Map<string, BillingContext | null>();
  await mapLimit(ids, limit, async (id) => {
    const loaded = await loadBillingContext(commet, id);
    contexts.set(id, loaded.ok ? loaded.context : null);
  });

  // Seat balances per customer and seat type on the plan.
  const balances = new Map<string, number>();
  if (kind === "seats") {
    const wanted = new Set<string>();
    for (const r of rows) {
      if (r.values?.kind !== "seats") continue;
      const { customer, seat_type: seatType } = r.values.row;
      const c = customers.get(customer.trim());
      const context = c?.ok ? contexts.get(c.customer.id) : null;
      if (c?.ok && context && seatTypesOf(context).some((s) => s.code === seatType)) {
        wanted.add(`${c.customer.id}\n${seatType}`);
      }
    }
    await mapLimit([...wanted], limit, async (pair) => {
      const [id, seatType] = pair.split("\n") as [string, string];
      balances.set(pair, await readSeatCount(commet, id, seatType));
    });
  }

  const now = new Date(deps.now);
  const validated = rows.map((row) => checkRow(kind, fileHash, row, { customers, contexts, balances, now }));
  markDuplicates(kind, validated, rows);
  return { rows: validated, totals: totalsOf(kind, validated) };
}

async function resolveCustomer(commet: Commet, ref: string, byEmail: Map<string, string>): Promise<Resolved> {
  const unknown = (how: string): Resolved => ({ ok: false, message: `Unknown customer “${ref}”: ${how}` });
  if (ref.includes("@")) {
    const id = byEmail.get(ref.toLowerCase());
    if (!id) return unknown("no customer has this email");
    const live = await getCustomer(commet, id);
    if (!live || live.email.trim().toLowerCase() !== ref.toLowerCase()) return unknown("no customer has this email");
    return { ok: true, customer: live };
  }
  const direct = await getCustomer(commet, ref);
  if (direct) return { ok: true, customer: direct };
  const listed = (await commet.customers.list({ externalId: ref, limit: 2 })).data ?? [];
  const matches = listed.filter((c) => c.externalId === ref);
  if (matches.length > 1) return { ok: false, message: `Customer “${ref}” is ambiguous: use the Commet id` };
  const match = matches[0];
  return match
    ? { ok: true, customer: { id: match.id, email: match.email, livemode: match.livemode } }
    : unknown("no customer has this Commet id, external id or email");
}

async function getCustomer(commet: Commet, id: string): Promise<Customer | null> {
  try {
    const c = (await commet.customers.get({ id })).data;
    return c ? { id: c.id, email: c.email, livemode: c.livemode } : null;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

interface Lookups {
  customers: Map<string, Resolved>;
  contexts: Map<string, BillingContext | null>;
  balances: Map<string, number>;
  now: Date;
}

function summaryOf(row: ParsedRow): string {
  const c = row.cells;
  const parts =
    c.seat_type !== undefined
      ? [c.customer, c.seat_type, `${c.operation} ${c.quantity}`, c.reason]
      : [c.customer, c.feature, `+ ${c.quantity}`, c.event_time || "at apply", c.reason];
  return parts
    .map((p) => (p ?? "").trim())
    .filter(Boolean)
    .join(" · ")
    .slice(0, 300);
}

function checkRow(kind: BulkKind, fileHash: string, row: ParsedRow, lookups: Lookups): ValidatedRow {
  const base = {
    line: row.line,
    customerRef: (row.cells.customer ?? "").trim(),
    customerId: null as string | null,
    summary: summaryOf(row),
    effect: null,
    change: null,
    idempotencyKey: rowKey(fileHash, row.line, row.values?.kind === "usage" ? row.values.row.key : undefined),
    livemode: false,
  };
  const invalid = (errors: BulkRowError[], customerId: string | null = null): ValidatedRow => ({
    ...base,
    customerId,
    status: "invalid",
    errors,
  });
  if (!row.values) return invalid(row.errors);
  const resolved = lookups.customers.get(row.values.row.customer.trim());
  if (!resolved?.ok) return invalid([{ column: "customer", message: resolved?.message ?? "Unknown customer" }]);
  const customer = resolved.customer;
  const context = lookups.contexts.get(customer.id);
  if (!context) {
    return invalid(
      [{ column: "customer", message: `Customer ${customer.id} has no active subscription` }],
      customer.id,
    );
  }
  const livemode = customer.livemode || context.livemode;

  if (row.values.kind === "seats") {
    const r = row.values.row;
    const types = seatTypesOf(context);
    if (!types.some((t) => t.code === r.seat_type)) {
      const offered = types.length ? `its seat types: ${types.map((t) => t.code).join(", ")}` : "it has no seat types";
      return invalid(
        [
          {
            column: "seat_type",
            message: `“${r.seat_type}” is not a seat type of plan ${context.plan.name} (${offered})`,
          },
        ],
        customer.id,
      );
    }
    const current = lookups.balances.get(`${customer.id}\n${r.seat_type}`) ?? 0;
    const preview = describeSeatChange({
      customer: { id: customer.id, email: customer.email },
      seatType: r.seat_type,
      op: r.operation,
      quantity: r.quantity,
      seenCount: current,
      plan: context.plan,
      subscription: context.subscription,
      now: lookups.now,
    });
    if (!preview.valid) return invalid([{ column: "quantity", message: preview.effect }], customer.id);
    return {
      ...base,
      customerId: customer.id,
      status: "ready",
      errors: [],
      livemode,
      effect: {
        kind: "seats",
        seatType: r.seat_type,
        label: preview.label,
        from: preview.from,
        to: preview.to,
        charge: preview.charge ? { amount: preview.charge.amount, formatted: preview.charge.formatted } : null,
        text: preview.effect,
      },
      change: {
        kind: "seats",
        customerId: customer.id,
        seatType: r.seat_type,
        op: r.operation,
        quantity: r.quantity,
        seenCount: current,
        to: preview.to,
        reason: r.reason,
      },
    };
  }

  const r = row.values.row;
  const errors: BulkRowError[] = [];
  const feature = usageFeaturesOf(context.plan).find((f) => f.code === r.feature);
  if (!feature) {
    const offered = usageFeaturesOf(context.plan).map((f) => f.code);
    errors.push({
      column: "feature",
      message: `“${r.feature}” is not a usage feature of plan ${context.plan.name}${offered.length ? ` (its features: ${offered.join(", ")})` : ""}`,
    });
  } else if (!allowsDecimals(feature.unitName) && !Number.isInteger(r.quantity)) {
    errors.push({ column: "quantity", message: `${feature.name} is counted in whole ${feature.unitName ?? "unit"}s` });
  }
  let eventTime: string | null = null;
  if (r.event_time) {
    const at = parseEventTime(r.event_time);
    const periodStart = periodStartOf(context);
    if (!at) {
      errors.push({ column: "event_time", message: "Event time must be ISO 8601, e.g. 2026-11-03T10:00:00Z" });
    } else if (at.getTime() > lookups.now.getTime() + FUTURE_TOLERANCE_MS) {
      errors.push({ column: "event_time", message: "The event time is in the future" });
    } else if (!periodStart || at.getTime() < periodStart.getTime()) {
      errors.push({
        column: "event_time",
        message: periodStart
          ? `The event time is before the current billing period (from ${periodStart.toISOString()}); closed periods cannot take usage`
          : "The customer's subscription has no current period",
      });
    } else {
      eventTime = at.toISOString();
    }
  }
  if (errors.length || !feature) return invalid(errors, customer.id);
  return {
    ...base,
    customerId: customer.id,
    status: "ready",
    errors: [],
    livemode,
    effect: {
      kind: "usage",
      feature: feature.code,
      label: feature.name,
      quantity: r.quantity,
      unitName: feature.unitName,
      eventTime,
      text: `${feature.name} + ${formatQuantity(r.quantity, feature.unitName)}`,
    },
    change: {
      kind: "usage",
      customerId: customer.id,
      feature: feature.code,
      quantity: r.quantity,
      eventTime,
      reason: r.reason,
    },
  };
}

/**
 * Rows that ask the same thing twice are all invalid: two changes of one customer's seat type (which
 * one wins?), two identical usage rows (a pasted line twice?), or one key on two rows.
 */
function markDuplicates(kind: BulkKind, rows: ValidatedRow[], parsed: readonly ParsedRow[]): void {
  const groups = new Map<string, number[]>();
  const add = (key: string, index: number) => groups.set(key, [...(groups.get(key) ?? []), index]);
  rows.forEach((row, i) => {
    const change = row.change;
    if (!change) return;
    if (change.kind === "seats") add(`seats ${change.customerId} ${change.seatType}`, i);
    else {
      const own = parsed[i]?.values?.kind === "usage" ? parsed[i]!.values!.row.key : undefined;
      add(
        own ? `key ${own}` : `usage ${change.customerId} ${change.feature} ${change.quantity} ${change.eventTime}`,
        i,
      );
    }
  });
  for (const [key, indexes] of groups) {
    if (indexes.length < 2) continue;
    const what = key.startsWith("seats")
      ? "changes the same customer's seat type"
      : key.startsWith("key")
        ? "has the same key"
        : "records the same usage (customer, feature, quantity, event time)";
    for (const i of indexes) {
      const others = indexes.filter((j) => j !== i).map((j) => rows[j]!.line);
      const row = rows[i]!;
      rows[i] = {
        ...row,
        status: "invalid",
        effect: null,
        change: null,
        errors: [
          { column: null, message: `Duplicate: ${what} as line${others.length > 1 ? "s" : ""} ${others.join(", ")}` },
        ],
      };
    }
  }
  void kind;
}

export function totalsOf(
  kind: BulkKind,
  rows: ReadonlyArray<{ status: BulkRowStatus; customerId: string | null; effect: BulkRowEffect | null }>,
): BulkTotals {
  const valid = rows.filter((r) => r.effect && r.status !== "invalid" && r.status !== "excluded");
  const totals: BulkTotals = {
    rows: rows.length,
    valid: valid.length,
    invalid: rows.filter((r) => r.status === "invalid").length,
    excluded: rows.filter((r) => r.status === "excluded").length,
    customers: new Set(valid.map((r) => r.customerId)).size,
    seats: null,
    usage: null,
  };
  if (kind === "seats") {
    let added = 0;
    let removed = 0;
    let charge = 0;
    let charged = false;
    for (const r of valid) {
      if (r.effect?.kind !== "seats") continue;
      const delta = r.effect.to - r.effect.from;
      if (delta > 0) added += delta;
      else removed -= delta;
      if (r.effect.charge) {
        charge += r.effect.charge.amount;
        charged = true;
      }
    }
    totals.seats = { added, removed, charge: charged ? { amount: charge, formatted: formatRateCents(charge) } : null };
  } else {
    const byFeature = new Map<string, NonNullable<BulkTotals["usage"]>[number]>();
    for (const r of valid) {
      if (r.effect?.kind !== "usage") continue;
      const f = byFeature.get(r.effect.feature) ?? {
        feature: r.effect.feature,
        label: r.effect.label,
        quantity: 0,
        unitName: r.effect.unitName,
        rows: 0,
      };
      // Decimal quantities: keep sums free of binary noise (2.5 + 0.1 …).
      f.quantity = Math.round((f.quantity + r.effect.quantity) * 1e6) / 1e6;
      f.rows += 1;
      byFeature.set(r.effect.feature, f);
    }
    totals.usage = [...byFeature.values()].sort((a, b) => a.feature.localeCompare(b.feature));
  }
  return totals;
}
