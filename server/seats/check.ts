/**
 * The checks a seat change passes before its confirmation (preview) and again before it is sent
 * (apply): the plan has the seat type, the count is still the one the staffer saw, the effect is possible.
 */
import type { Commet } from "@commet/node";
import { parseForm, seatChangeSchemaFor, type SeatChangeForm } from "../../app/contracts/ops-forms.ts";
import type { SeatChangeResult, SeatPreview } from "../../app/contracts/ops-results.ts";
import { loadBillingContext, type BillingContext } from "../billing/index.ts";
import { fieldErrors, readFailure, type WriteEngine } from "../writes/index.ts";
import { describeSeatChange } from "./describe.ts";

export type CheckedSeatChange =
  { ok: true; context: BillingContext; preview: SeatPreview } | { ok: false; result: SeatChangeResult };

export function seatTypesOf(context: BillingContext): Array<{ code: string; name: string }> {
  return context.plan.features
    .filter((f) => f.type === "seats" && f.enabled)
    .map((f) => ({ code: f.code, name: f.name }));
}

export async function readSeatCount(commet: Commet, customerId: string, seatType: string): Promise<number> {
  const balance = await commet.seats.getBalance({ customerId, featureCode: seatType });
  return balance.data?.current ?? 0;
}

/** `form` passed the context-free schema; `raw` is the submitted form, checked again against the plan. */
export async function checkSeatChange(
  writes: WriteEngine,
  form: SeatChangeForm,
  raw: FormData | Record<string, unknown>,
): Promise<CheckedSeatChange> {
  let context: BillingContext;
  let current: number;
  try {
    const loaded = await loadBillingContext(writes.commet(), form.customerId, { customer: true });
    if (!loaded.ok) {
      const message = "No active subscription";
      return {
        ok: false,
        result: fieldErrors({ _form: [`Customer ${form.customerId} has no active subscription`] }, message),
      };
    }
    context = loaded.context;
    const checked = parseForm(seatChangeSchemaFor({ seatTypes: seatTypesOf(context) }), raw);
    if (!checked.ok) return { ok: false, result: fieldErrors(checked.fieldErrors) };
    current = await readSeatCount(writes.commet(), form.customerId, form.seatType);
  } catch (error) {
    return { ok: false, result: readFailure(error, writes.commetUrl()) };
  }

  const preview = describeSeatChange({
    customer: { id: form.customerId, email: context.customer?.email ?? "" },
    seatType: form.seatType,
    op: form.op,
    quantity: form.quantity,
    seenCount: form.seenCount,
    plan: context.plan,
    subscription: context.subscription,
    now: new Date(writes.now()),
  });
  if (current !== form.seenCount) {
    return {
      ok: false,
      result: {
        kind: "stale",
        seatType: form.seatType,
        seen: form.seenCount,
        current,
        message: `${preview.label} changed from ${form.seenCount} to ${current} since you opened this page`,
      },
    };
  }
  if (!preview.valid) return { ok: false, result: fieldErrors({ quantity: [preview.effect] }, preview.effect) };
  return { ok: true, context, preview };
}
