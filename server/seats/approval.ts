/**
 * Seat changes under the four-eyes policy (server/approvals): a change beyond the rule's percentage or
 * seat count is held; the approver's preview is the same change on the count Commet holds now.
 */
import type { ApprovalPreview } from "../../app/contracts/approvals.ts";
import type { SeatOp } from "../../app/contracts/ops-forms.ts";
import { defineApprovable } from "../approvals/index.ts";
import { loadBillingContext } from "../billing/index.ts";
import { readSeatCount } from "./check.ts";
import { describeSeatChange } from "./describe.ts";
import { seatChangeWrite } from "./write-action.ts";

const number = (value: unknown) => (typeof value === "number" ? value : Number(value));

defineApprovable({
  action: seatChangeWrite.name,
  rules: ["seats.change"],
  assess(spec) {
    const details = spec.details ?? {};
    return { rule: "seats.change", measure: { seatsFrom: number(details.from), seatsTo: number(details.to) } };
  },
  async preview(spec, engine): Promise<ApprovalPreview> {
    const form = spec.form as { customerId: string; seatType: string; op: SeatOp; quantity: number };
    const commet = engine.commet();
    const loaded = await loadBillingContext(commet, form.customerId, { customer: true });
    if (!loaded.ok) {
      return {
        summary: `${form.seatType} seats: ${form.op} ${form.quantity}`,
        facts: [{ label: "Subscription", value: "none active" }],
        blocked: "The customer has no active subscription any more",
      };
    }
    const { context } = loaded;
    const current = await readSeatCount(commet, form.customerId, form.seatType);
    const p = describeSeatChange({
      customer: { id: form.customerId, email: context.customer?.email ?? "" },
      seatType: form.seatType,
      op: form.op,
      quantity: number(form.quantity),
      seenCount: current,
      plan: context.plan,
      subscription: context.subscription,
      now: new Date(engine.now()),
    });
    const verb = form.op === "set" ? `set to ${form.quantity}` : `${form.op} ${form.quantity}`;
    return {
      summary: p.effect,
      facts: [
        { label: "Customer", value: context.customer?.email ?? form.customerId },
        { label: "Plan", value: `${context.plan.name} (${context.subscription.status})` },
        { label: "Request", value: `${p.label}: ${verb}` },
        { label: "Seats now", value: String(p.from) },
        { label: "After the change", value: String(p.to) },
        { label: "Change", value: `${p.delta > 0 ? "+" : ""}${p.delta}` },
        { label: "Charge", value: p.charge ? `≈ ${p.charge.formatted} (prorated)` : "none" },
        { label: "Mode", value: p.livemode ? "LIVE" : "test" },
      ],
      blocked: p.valid ? null : p.effect,
    };
  },
});
