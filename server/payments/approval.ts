/**
 * Refunds under the four-eyes policy (server/approvals): a refund above the rule's amount is held; the
 * approver's preview reads the charge again (refunded meanwhile → it cannot be approved).
 */
import type { ApprovalPreview } from "../../app/contracts/approvals.ts";
import { formatMinor } from "../../app/contracts/money.ts";
import { defineApprovable } from "../approvals/index.ts";
import { paymentRefundWrite } from "./write-actions.ts";

defineApprovable({
  action: paymentRefundWrite.name,
  rules: ["payments.refund"],
  assess: (spec) => ({ rule: "payments.refund", measure: { amount: Number(spec.details?.amount ?? 0) } }),
  async preview(spec, engine): Promise<ApprovalPreview> {
    const id = String(spec.request.params.id);
    const t = (await engine.commet().transactions.get({ id })).data;
    if (!t) {
      return { summary: `Refund ${id}`, facts: [{ label: "Charge", value: id }], blocked: "Commet has no such charge" };
    }
    const amount = t.grossAmount === null ? "unknown" : formatMinor(t.grossAmount, t.currency);
    const blocked =
      t.status === "refunded"
        ? "The charge has been refunded already"
        : t.status !== "succeeded"
          ? `The charge is ${t.status}: only a settled charge can be refunded`
          : t.grossAmount !== spec.details?.amount
            ? `The charge is now ${amount}, not what was asked for: ask again`
            : null;
    const ends = spec.details?.endsSubscription;
    return {
      summary: `Refund ${amount} of charge ${t.id} in full`,
      facts: [
        { label: "Charge", value: t.id },
        { label: "Amount", value: amount },
        { label: "Charge status", value: t.status },
        { label: "Paid", value: t.paidAt ?? "—" },
        { label: "Invoice", value: String(spec.details?.invoiceNumber ?? "—") },
        { label: "Ends subscription", value: typeof ends === "string" && ends ? `yes (${ends})` : "no" },
        { label: "Mode", value: t.livemode ? "LIVE" : "test" },
      ],
      blocked,
    };
  },
});
