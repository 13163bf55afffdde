/** Seats: add, set, remove and bulk-set balances (each a seat event and seats.updated), and read them. */
import { z } from "zod";
import { type Handler, type RouteDef, nonEmpty, nonNegativeInt, parse, positiveInt } from "../api.ts";
import { errors } from "../errors.ts";
import { newId } from "../ids.ts";
import { type Sandbox, webhookCustomerId } from "../model.ts";
import { byCustomer, byCustomerFeature, type Live } from "./entitlement-common.ts";

function seatEvent(sb: Sandbox, live: Live, code: string, next: number, object: "seat" = "seat") {
  const previous = sb.seatCount(live.customer.id, code);
  const now = sb.clock.iso();
  const id = newId("seat");
  sb.setBalance("seat_balances", live.customer.id, code, next, now);
  sb.q(
    "INSERT INTO seat_events (id, customer_id, feature_code, previous_balance, new_balance, ts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
  ).run(id, live.customer.id, code, previous, next, now, now);
  const customerRef = webhookCustomerId(live.customer);
  sb.emit("seats.updated", {
    customerId: customerRef,
    subscriptionId: live.sub.id,
    featureCode: code,
    previousSeats: previous,
    currentSeats: next,
  });
  const pf = sb.catalog.planFeature(live.plan.id, code);
  const included = pf?.included ?? 0;
  if (pf && !pf.unlimited && included > 0 && previous < included && next >= included) {
    sb.emit("seats.limit_reached", {
      customerId: customerRef,
      subscriptionId: live.sub.id,
      featureCode: code,
      currentSeats: next,
      includedSeats: included,
    });
  }
  return {
    id,
    customerId: live.customer.id,
    featureCode: code,
    previousBalance: previous,
    newBalance: next,
    ts: now,
    createdAt: now,
    object,
    livemode: false,
  };
}

const seatChange = z.object({ customerId: nonEmpty, featureCode: nonEmpty, count: positiveInt });
const seatSet = z.object({ customerId: nonEmpty, featureCode: nonEmpty, count: nonNegativeInt });
const seatBulk = z.object({
  customerId: nonEmpty,
  seats: z.record(z.string().min(1), nonNegativeInt).refine((r) => Object.keys(r).length > 0, "At least one seat type"),
});

function seatMutation(sb: Sandbox, input: { customerId: string; featureCode: string }) {
  sb.featureOfType(input.featureCode, "seats");
  const live = sb.liveContext(input.customerId);
  sb.planFeatureOrThrow(live.plan, input.featureCode);
  return live;
}

/** add / set / remove: validate, then move the balance to next(current) in one transaction. */
function seatWrite<S extends typeof seatChange | typeof seatSet>(
  schema: S,
  next: (current: number, input: z.infer<S>) => number,
): Handler {
  return ({ sb, body }) => {
    const input = parse(schema, body) as z.infer<S>;
    return {
      data: sb.tx(() => {
        const live = seatMutation(sb, input);
        return seatEvent(sb, live, input.featureCode, next(sb.seatCount(live.customer.id, input.featureCode), input));
      }),
    };
  };
}

export const seatRoutes: RouteDef[] = [
  ["POST", "/api/v1/seats", seatWrite(seatChange, (current, input) => current + input.count)],
  ["PUT", "/api/v1/seats", seatWrite(seatSet, (_current, input) => input.count)],
  [
    "DELETE",
    "/api/v1/seats",
    seatWrite(seatChange, (current, input) => {
      if (input.count > current) throw errors.insufficientSeats(input.featureCode, current, input.count);
      return current - input.count;
    }),
  ],
  [
    "PUT",
    "/api/v1/seats/bulk",
    ({ sb, body }) => {
      const input = parse(seatBulk, body);
      return {
        data: sb.tx(() => {
          const entries = Object.entries(input.seats);
          entries.forEach(([code]) => sb.featureOfType(code, "seats"));
          const live = sb.liveContext(input.customerId);
          entries.forEach(([code]) => sb.planFeatureOrThrow(live.plan, code));
          return entries.map(([code, count]) => {
            const { customerId: _c, ...rest } = seatEvent(sb, live, code, count);
            return rest;
          });
        }),
      };
    },
  ],
  [
    "GET",
    "/api/v1/seats/balance",
    ({ sb, query }) => {
      const input = parse(byCustomerFeature, query);
      sb.featureOfType(input.featureCode, "seats");
      const c = sb.customer(input.customerId);
      const row = sb
        .q("SELECT count, updated_at FROM seat_balances WHERE customer_id = ? AND feature_code = ?")
        .get(c.id, input.featureCode) as { count: number; updated_at: string } | undefined;
      return {
        data: { current: row?.count ?? 0, asOf: row?.updated_at ?? sb.clock.iso(), object: "seat", livemode: false },
      };
    },
  ],
  [
    "GET",
    "/api/v1/seats/balances",
    ({ sb, query }) => {
      const { customerId } = parse(byCustomer, query);
      const c = sb.customer(customerId);
      const live = sb.liveSubscription(c.id);
      const balances: Record<string, { current: number; asOf: string }> = {};
      const rows = sb
        .q("SELECT feature_code, count, updated_at FROM seat_balances WHERE customer_id = ?")
        .all(c.id) as Array<{
        feature_code: string;
        count: number;
        updated_at: string;
      }>;
      if (live) {
        for (const pf of sb.catalog.planFeatures.get(live.plan_id)?.values() ?? []) {
          if (sb.catalog.featuresByCode.get(pf.feature_code)?.type === "seats" && pf.enabled) {
            balances[pf.feature_code] = { current: 0, asOf: live.start_date };
          }
        }
      }
      for (const r of rows) balances[r.feature_code] = { current: r.count, asOf: r.updated_at };
      return { data: { balances, object: "seat", livemode: false } };
    },
  ],
];
