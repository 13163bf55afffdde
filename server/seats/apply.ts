import type { Commet } from "@commet/node";
import {
  parseForm,
  seatChangeFormSchema,
  seatChangeSchemaFor,
  type SeatChangeForm,
  type SeatOp,
} from "../../app/contracts/ops-forms.ts";
import type { Role } from "../auth/permissions.ts";
import { loadBillingContext, type BillingContext } from "../usage/context.ts";
import {
  admit,
  fieldErrors,
  readFailure,
  writeEngineFor,
  type Staff,
  type WriteEngine,
  type WriteResult,
} from "../usage/exactly-once.ts";
import { previewSeatChange, type SeatPreview } from "./preview.ts";

/** The balance changed since the form was rendered: nothing was sent; show the fresh value. */
export interface StaleSeatCount {
  kind: "stale";
  seatType: string;
  seen: number;
  current: number;
  message: string;
}

export type SeatChangeResult = WriteResult | StaleSeatCount;

export interface SeatChangeInput {
  actor: Staff["actor"];
  role: Role | null;
  /** The submitted form: customerId, seatType, op, quantity, seenCount, reasonCode, reasonText, idempotencyKey, confirmEmail? */
  form: FormData | Record<string, unknown>;
}

const SEAT_CALL: Record<SeatOp, "seats.add" | "seats.set" | "seats.remove"> = {
  add: "seats.add",
  set: "seats.set",
  remove: "seats.remove",
};

export function seatTypesOf(context: BillingContext): Array<{ code: string; name: string }> {
  return context.plan.features
    .filter((f) => f.type === "seats" && f.enabled)
    .map((f) => ({ code: f.code, name: f.name }));
}

/**
 * Applies a seat change (ops, admin): validates the form, answers a reused key from the audit
 * trail, re-reads the balance (stale → `StaleSeatCount`, nothing sent), requires the customer's
 * email for large changes, then writes exactly once: pending audit row → seats.add/set/remove with
 * the form's key as Idempotency-Key → finalize.
 */
export async function applySeatChange(input: SeatChangeInput, engine?: WriteEngine): Promise<SeatChangeResult> {
  const writes = writeEngineFor(engine);
  const admitted = admit(input.role, "seats:write", seatChangeFormSchema, input.form, "Your role may not change seats");
  if (!admitted.ok) return admitted.result;
  const form = admitted.form;
  // What identifies the request (the typed confirmation is not part of it).
  const { confirmEmail: _typed, ...identity } = form;

  return writes.once(form.idempotencyKey, async (): Promise<SeatChangeResult> => {
    const prior = await writes.lookup(form.idempotencyKey, "seats.change", form.customerId, identity);
    if (prior) return prior;
    // Re-read, compare and write one change of this seat type at a time (in this process): a second
    // staffer's change submitted meanwhile then meets the fresh count and is refused as stale.
    return writes.once(`#seats ${form.customerId} ${form.seatType}`, () => changeSeats(writes, input, form, identity));
  });
}

async function changeSeats(
  writes: WriteEngine,
  input: SeatChangeInput,
  form: SeatChangeForm,
  identity: Omit<SeatChangeForm, "confirmEmail">,
): Promise<SeatChangeResult> {
  let context: BillingContext;
  let current: number;
  try {
    const loaded = await loadBillingContext(writes.commet(), form.customerId, { customer: true });
    if (!loaded.ok) {
      return {
        kind: "field_errors",
        fieldErrors: { _form: [`Customer ${form.customerId} has no active subscription`] },
        message: "No active subscription",
      };
    }
    context = loaded.context;
    const checked = parseForm(seatChangeSchemaFor({ seatTypes: seatTypesOf(context) }), input.form);
    if (!checked.ok) return fieldErrors(checked.fieldErrors);
    current = await readSeatCount(writes.commet(), form.customerId, form.seatType);
  } catch (error) {
    return readFailure(error, writes.commetUrl());
  }

  const preview = previewFor(context, form, new Date(writes.now()));
  if (current !== form.seenCount) {
    return {
      kind: "stale",
      seatType: form.seatType,
      seen: form.seenCount,
      current,
      message: `${preview.label} changed from ${form.seenCount} to ${current} since you opened this page`,
    };
  }
  if (!preview.valid)
    return { kind: "field_errors", fieldErrors: { quantity: [preview.effect] }, message: preview.effect };
  if (preview.needsEmailConfirmation) {
    const expected = context.customer?.email.trim().toLowerCase();
    const typed = form.confirmEmail?.trim().toLowerCase();
    if (!typed || typed !== expected) {
      return {
        kind: "field_errors",
        fieldErrors: {
          confirmEmail: [
            typed
              ? "That is not the customer's email"
              : `This is a large change (${preview.from} → ${preview.to}): type the customer's email to confirm`,
          ],
        },
        message: "Confirm with the customer's email",
      };
    }
  }

  return writes.write({
    action: "seats.change",
    staff: { actor: input.actor, role: input.role },
    customerId: form.customerId,
    idempotencyKey: form.idempotencyKey,
    form: identity,
    details: {
      seatType: form.seatType,
      op: form.op,
      quantity: form.quantity,
      from: preview.from,
      to: preview.to,
      effect: preview.effect,
      reasonCode: form.reasonCode,
      reasonText: form.reasonText,
      livemode: preview.livemode,
    },
    request: {
      call: SEAT_CALL[form.op],
      params: { customerId: form.customerId, featureCode: form.seatType, count: form.quantity },
    },
  });
}

export async function readSeatCount(commet: Commet, customerId: string, seatType: string): Promise<number> {
  const balance = await commet.seats.getBalance({ customerId, featureCode: seatType });
  return balance.data?.current ?? 0;
}

function previewFor(
  context: BillingContext,
  form: { customerId: string; seatType: string; op: SeatOp; quantity: number; seenCount: number },
  now: Date,
): SeatPreview {
  return previewSeatChange({
    customer: { id: form.customerId, email: context.customer?.email ?? "" },
    seatType: form.seatType,
    op: form.op,
    quantity: form.quantity,
    seenCount: form.seenCount,
    plan: context.plan,
    subscription: context.subscription,
    now,
  });
}

export interface SeatPanel {
  customer: { id: string; email: string; livemode: boolean } | null;
  livemode: boolean;
  period: { start: string; end: string } | null;
  planName: string;
  seatTypes: Array<{
    code: string;
    name: string;
    current: number;
    included: number | null;
    unlimited: boolean;
    /** Price of an extra seat on Commet's rate scale (10000 = $1.00), or null. */
    unitPrice: number | null;
  }>;
}

/**
 * What the seat panel of the customer page shows (and the form carries as seenCount), read fresh:
 * the plan's seat types with their current counts. null when the customer has no active subscription.
 */
export async function loadSeatPanel(customerId: string, engine?: WriteEngine): Promise<SeatPanel | null> {
  const commet = writeEngineFor(engine).commet();
  const loaded = await loadBillingContext(commet, customerId, { customer: true });
  if (!loaded.ok) return null;
  const { context } = loaded;
  const balances = (await commet.seats.getAllBalances({ customerId })).data as
    { balances?: Record<string, { current: number }> } | undefined;
  return {
    customer: context.customer,
    livemode: context.livemode,
    period: context.subscription.currentPeriod,
    planName: context.plan.name,
    seatTypes: context.plan.features
      .filter((f) => f.type === "seats" && f.enabled)
      .map((f) => ({
        code: f.code,
        name: f.name,
        current: balances?.balances?.[f.code]?.current ?? 0,
        included: f.included,
        unlimited: f.unlimited,
        unitPrice: f.overageUnitPrice,
      })),
  };
}
