// /customers/:customerId/invoices/:invoiceId — one invoice with every line field as JSON (the Invoices panel's expand).

import type { LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { answerCommet } from "../../server/commet/index.ts";
import { getCustomerInvoice } from "../../server/invoices/index.ts";
import { invoiceIdSchema, parseCustomerRef } from "~/contracts/customer-ref";

/** GET /customers/:customerId/invoices/:invoiceId — one invoice with its line items explained (JSON, on expand). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireStaff(request, "customers:read");
  const customerRef = parseCustomerRef(params.customerId);
  const invoiceId = invoiceIdSchema.safeParse(params.invoiceId);
  if (!customerRef || !invoiceId.success) throw data(null, { status: 404 });
  const answer = await answerCommet(() => getCustomerInvoice(customerRef, invoiceId.data));
  if (!answer.ok) return Response.json({ problem: answer.problem }, { status: answer.status });
  if (!answer.value) throw data(null, { status: 404 });
  return Response.json({ invoice: answer.value.invoice, billingEmail: answer.value.customer.email });
}
