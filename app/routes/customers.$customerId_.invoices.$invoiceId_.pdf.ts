// /customers/:customerId/invoices/:invoiceId/pdf — the invoice's PDF: audited, then a redirect to Commet's signed URL.

import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { answerCommet } from "../../server/commet/index.ts";
import { invoiceDownloadUrl } from "../../server/invoices/index.ts";
import { invoiceIdSchema, parseCustomerRef } from "~/contracts/customer-ref";

const PLAIN = { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" };

/**
 * GET (customers:read): the download is audited as "invoices.download", then the browser is sent to the
 * signed URL. The URL is not cached, not stored, and not passed on as a referrer.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "customers:read");
  const customerRef = parseCustomerRef(params.customerId);
  const invoiceId = invoiceIdSchema.safeParse(params.invoiceId);
  if (!customerRef || !invoiceId.success) return new Response("No such invoice\n", { status: 404, headers: PLAIN });
  const answer = await answerCommet(() =>
    invoiceDownloadUrl({
      actor: { id: staff.id, email: staff.email },
      role: staff.role,
      customerRef,
      invoiceId: invoiceId.data,
    }),
  );
  if (!answer.ok) return new Response(`${answer.problem.message}\n`, { status: answer.status, headers: PLAIN });
  if (!answer.value) return new Response("No such invoice for this customer\n", { status: 404, headers: PLAIN });
  return new Response(null, {
    status: 302,
    headers: { location: answer.value.url, "cache-control": "no-store", "referrer-policy": "no-referrer" },
  });
}
