/**
 * Seat changes (ops, admin): the preview (intent=preview) and the exactly-once apply share one set of
 * checks (check.ts); apply then requires the customer's email for large changes and writes once.
 */
import { seatChangeFormSchema, type SeatChangeForm } from "../../app/contracts/ops-forms.ts";
import type { SeatChangeResult, SeatPreviewResult } from "../../app/contracts/ops-results.ts";
import type { Role } from "../../app/contracts/permissions.ts";
import { admit, writeEngineFor, type Staff, type WriteEngine } from "../writes/index.ts";
import { checkSeatChange } from "./check.ts";
import { SEAT_CALL, seatChangeWrite } from "./write-action.ts";

export interface SeatChangeInput {
  actor: Staff["actor"];
  role: Role | null;
  /** The submitted form: customerId, seatType, op, quantity, seenCount, reasonCode, reasonText, idempotencyKey, confirmEmail? */
  form: FormData | Record<string, unknown>;
}

const admitSeatChange = (input: SeatChangeInput) =>
  admit(input.role, "seats:write", seatChangeFormSchema, input.form, "Your role may not change seats");

/** The confirmation of a seat change (effect, charge, large-change flag) after the same checks as apply; nothing is sent. */
export async function previewSeatChange(input: SeatChangeInput, engine?: WriteEngine): Promise<SeatPreviewResult> {
  const admitted = admitSeatChange(input);
  if (!admitted.ok) return admitted.result;
  const checked = await checkSeatChange(writeEngineFor(engine), admitted.form, input.form);
  return checked.ok ? { kind: "preview", preview: checked.preview } : checked.result;
}

/**
 * Applies a seat change: a reused key is answered from the audit trail; otherwise the checks run
 * again on a fresh balance (stale → nothing sent), large changes need the customer's email, and the
 * change is written once with the form's key as Idempotency-Key.
 */
export async function applySeatChange(input: SeatChangeInput, engine?: WriteEngine): Promise<SeatChangeResult> {
  const writes = writeEngineFor(engine);
  const admitted = admitSeatChange(input);
  if (!admitted.ok) return admitted.result;
  const form = admitted.form;
  // What identifies the request (the typed confirmation is not part of it).
  const { confirmEmail: _typed, ...identity } = form;

  return writes.keyed(
    {
      action: seatChangeWrite,
      idempotencyKey: form.idempotencyKey,
      customerId: form.customerId,
      identity,
      // Re-read, compare and write one change of this seat type at a time (in this process): a second
      // staffer's change submitted meanwhile then meets the fresh count and is refused as stale.
      lane: `#seats ${form.customerId} ${form.seatType}`,
    },
    () => changeSeats(writes, input, form, identity),
  );
}

async function changeSeats(
  writes: WriteEngine,
  input: SeatChangeInput,
  form: SeatChangeForm,
  identity: Omit<SeatChangeForm, "confirmEmail">,
): Promise<SeatChangeResult> {
  const checked = await checkSeatChange(writes, form, input.form);
  if (!checked.ok) return checked.result;
  const { context, preview } = checked;
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
    action: seatChangeWrite,
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
