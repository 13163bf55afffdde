import type { LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { loadCustomerUsagePanel } from "../../server/usage/timeline/index.ts";
import { parseCustomerRef } from "~/contracts/customer-ref";
import { parseUsageSearch } from "~/contracts/usage-search";

/**
 * GET /usage/customer/:customerId?range=7d|30d|90d|custom&from&to — the customer page's Usage panel
 * (fetched by app/components/usage/customer-usage-panel.tsx). Never throws for an expected failure: the
 * panel shows the problem in place (Commet down → timeline only; bad range → message, 400).
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireStaff(request, "customers:read");
  const customerRef = parseCustomerRef(params.customerId);
  if (!customerRef) throw data(null, { status: 404 });
  const panel = await loadCustomerUsagePanel(customerRef, parseUsageSearch(new URL(request.url).searchParams));
  return data(panel, { status: panel.ok ? 200 : 400 });
}
