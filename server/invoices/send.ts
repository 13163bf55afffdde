/**
 * Resending an invoice to the customer (support, ops, admin): an exactly-once write through server/writes,
 * after checking the invoice is this customer's and can be sent (not void, not draft).
 */
import { z } from "zod";
import { invoiceSendFormSchema } from "../../app/contracts/invoices.ts";
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import type { Role } from "../../app/contracts/permissions.ts";
import { CommetAPIError } from "@commet/node";
import {
  admit,
  defineWriteAction,
  fieldErrors,
  writeEngineFor,
  type Staff,
  type WriteEngine,
} from "../writes/index.ts";
import { getCustomerInvoice } from "./detail.ts";

export const invoiceSendWrite = defineWriteAction({
  name: "invoices.send",
  permission: "invoices:send",
  noun: { done: "Already sent", what: "invoice resend" },
  request: z.object({ call: z.literal("invoices.send"), params: z.object({ id: z.string() }).strict() }),
  async send(commet, request, options) {
    const sent = (await commet.invoices.send(request.params, options)).data;
    // SentInvoice carries no id of its own: the audit row records the invoice's.
    return sent ? { id: request.params.id, ...sent } : undefined;
  },
});

export interface SendInvoiceInput {
  actor: Staff["actor"];
  role: Role | null;
  /** customerId (from the URL), invoiceId, idempotencyKey. */
  form: FormData | Record<string, unknown>;
}

const UNSENDABLE = new Set(["void", "draft"]);

export async function sendInvoice(input: SendInvoiceInput, engine?: WriteEngine): Promise<WriteResult> {
  const writes = writeEngineFor(engine);
  const admitted = admit(
    input.role,
    "invoices:send",
    invoiceSendFormSchema,
    input.form,
    "Your role may not resend invoices",
  );
  if (!admitted.ok) return admitted.result;
  const form = admitted.form;
  return writes.keyed(
    { action: invoiceSendWrite, idempotencyKey: form.idempotencyKey, customerId: form.customerId, identity: form },
    async (): Promise<WriteResult> => {
      let found;
      try {
        found = await getCustomerInvoice(form.customerId, form.invoiceId, { commet: writes.commet(), now: writes.now });
      } catch (error) {
        if (error instanceof CommetAPIError && error.statusCode === 404) found = null;
        else throw error;
      }
      if (!found) {
        return fieldErrors({ invoiceId: ["No such invoice for this customer"] }, "No such invoice for this customer");
      }
      const { invoice, customer } = found;
      if (UNSENDABLE.has(invoice.status)) {
        const message = `${invoice.invoiceNumber} is ${invoice.status}: it cannot be sent to the customer`;
        return fieldErrors({ invoiceId: [message] }, message);
      }
      return writes.write({
        action: invoiceSendWrite,
        staff: { actor: input.actor, role: input.role },
        customerId: form.customerId,
        idempotencyKey: form.idempotencyKey,
        form,
        details: { invoiceId: invoice.id, invoiceNumber: invoice.invoiceNumber, to: customer.email },
        request: { call: "invoices.send", params: { id: invoice.id } },
      });
    },
  );
}
