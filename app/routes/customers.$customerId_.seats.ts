import type { ActionFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { getCommet } from "../../server/commet/client.ts";
import { toCommetProblem } from "../../server/commet/index.ts";
import { applySeatChange, previewSeatChange, readSeatCount, seatTypesOf } from "../../server/seats/index.ts";
import { loadBillingContext } from "../../server/usage/index.ts";
import { parseForm, seatChangeFormSchema, seatChangeSchemaFor } from "~/contracts/ops-forms";
import { readOpsWriteForm } from "~/lib/ops-form.server";
import { NO_STORE, forBrowser, writeStatus, type SeatActionResult } from "~/lib/ops-results";

const respond = (result: SeatActionResult) => data(result, { status: writeStatus(result), headers: NO_STORE });

/**
 * POST /customers/:customerId/seats (permission seats:write) — the seat change form, in two steps:
 *   intent=preview: checks the form, re-reads the balance (stale → refused with the fresh count) and
 *                   answers the confirmation text (previewSeatChange). Nothing is written.
 *   intent=apply:   applySeatChange with the same idempotency key (exactly once, no blind overwrite).
 */
export async function action({ request, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "seats:write");
  const { intent, form } = await readOpsWriteForm(request, params.customerId);

  if (intent === "preview") return respond(await preview(form));
  if (intent === "apply") {
    const result = await applySeatChange({ actor: { id: staff.id, email: staff.email }, role: staff.role, form });
    return respond(forBrowser(result));
  }
  return respond({ kind: "field_errors", fieldErrors: { _form: ["Unknown action"] }, message: "Unknown action" });
}

async function preview(form: Record<string, FormDataEntryValue>): Promise<SeatActionResult> {
  const parsed = parseForm(seatChangeFormSchema, form);
  if (!parsed.ok)
    return { kind: "field_errors", fieldErrors: parsed.fieldErrors, message: "Check the highlighted fields" };
  const input = parsed.data;
  const commet = getCommet();
  try {
    const loaded = await loadBillingContext(commet, input.customerId, { customer: true });
    if (!loaded.ok) {
      const message = `Customer ${input.customerId} has no active subscription`;
      return { kind: "field_errors", fieldErrors: { _form: [message] }, message };
    }
    const { context } = loaded;
    const checked = parseForm(seatChangeSchemaFor({ seatTypes: seatTypesOf(context) }), form);
    if (!checked.ok)
      return { kind: "field_errors", fieldErrors: checked.fieldErrors, message: "Check the highlighted fields" };
    const current = await readSeatCount(commet, input.customerId, input.seatType);
    const effect = previewSeatChange({
      customer: { id: input.customerId, email: context.customer?.email ?? "" },
      seatType: input.seatType,
      op: input.op,
      quantity: input.quantity,
      seenCount: input.seenCount,
      plan: context.plan,
      subscription: context.subscription,
      now: new Date(),
    });
    if (current !== input.seenCount) {
      return {
        kind: "stale",
        seatType: input.seatType,
        seen: input.seenCount,
        current,
        message: `${effect.label} changed from ${input.seenCount} to ${current} since you opened this page`,
      };
    }
    if (!effect.valid)
      return {
        kind: "field_errors",
        fieldErrors: { quantity: [effect.problem ?? effect.effect] },
        message: effect.problem ?? effect.effect,
      };
    return { kind: "preview", preview: effect };
  } catch (error) {
    const problem = toCommetProblem(error);
    if (!problem) throw error;
    return {
      kind: "commet_error",
      auditId: null,
      retryable: problem.retryable,
      outcome: "failed",
      code: null,
      message: problem.message,
      problem,
    };
  }
}
