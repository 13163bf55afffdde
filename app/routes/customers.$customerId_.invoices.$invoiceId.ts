import type { LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { problemStatus, toCommetProblem } from "../../server/commet/errors.ts";
import { getInvoiceDetail } from "../../server/customer-view/index.ts";
import { invoiceIdSchema, parseCustomerRef } from "~/contracts/customer-ref";

/** GET /customers/:customerId/invoices/:invoiceId — one invoice with its line items (JSON, on expand). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireStaff(request, "customers:read");
  const customerRef = parseCustomerRef(params.customerId);
  const invoiceId = invoiceIdSchema.safeParse(params.invoiceId);
  if (!customerRef || !invoiceId.success) throw data(null, { status: 404 });
  try {
    const invoice = await getInvoiceDetail(customerRef, invoiceId.data);
    if (!invoice) throw data(null, { status: 404 });
    return Response.json({ invoice });
  } catch (error) {
    const problem = toCommetProblem(error);
    if (!problem) throw error;
    return Response.json({ problem }, { status: problemStatus[problem.kind] });
  }
}
