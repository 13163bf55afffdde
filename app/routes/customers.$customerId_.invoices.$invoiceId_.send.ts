// /customers/:customerId/invoices/:invoiceId/send — resend the invoice to the customer (exactly once, audited).

import type { ActionFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { sendInvoice } from "../../server/invoices/index.ts";
import { forBrowser } from "~/contracts/ops-results";
import { opsWriteResponse, readOpsWriteForm } from "~/lib/ops-form.server";

/** POST (invoices:send): the invoice in the URL, the idempotency key in the form; answers the write's result. */
export async function action({ request, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "invoices:send");
  const { form } = await readOpsWriteForm(request, params.customerId);
  const input = {
    actor: { id: staff.id, email: staff.email },
    role: staff.role,
    form: { ...form, invoiceId: params.invoiceId ?? "" },
  };
  return opsWriteResponse(forBrowser(await sendInvoice(input)));
}
