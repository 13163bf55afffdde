// /usage/customer/:customerId — the customer page's Usage tab data as JSON (docs/decisions/0008-usage-timeline.md).

import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { checkCustomerUsage, loadCustomerUsagePanel } from "../../server/usage/timeline/index.ts";
import { parseCustomerRef } from "~/contracts/customer-ref";
import { NO_STORE } from "~/contracts/ops-results";
import { parseUsageSearch } from "~/contracts/usage-search";

/**
 * GET /usage/customer/:customerId?range=7d|30d|90d|custom&from&to — the customer page's Usage panel
 * (app/components/usage/customer-usage-panel.tsx), read-only: the drift badge is the last stored check.
 * Never throws for an expected failure: Commet down → timeline only; bad range → message, 400.
 * Answers are Responses: a resource route's `data()` loses its status when posted directly.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireStaff(request, "customers:read");
  const customerRef = parseCustomerRef(params.customerId);
  if (!customerRef) throw Response.json({ message: "No such customer" }, { status: 404, headers: NO_STORE });
  const panel = await loadCustomerUsagePanel(customerRef, parseUsageSearch(new URL(request.url).searchParams));
  return Response.json(panel, { status: panel.ok ? 200 : 400, headers: NO_STORE });
}

/**
 * POST — check this customer against Commet now (stored for the badge and finance's list); a Commet
 * failure → its status and message.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  await requireStaff(request, "customers:read");
  const customerRef = parseCustomerRef(params.customerId);
  if (!customerRef) throw Response.json({ message: "No such customer" }, { status: 404, headers: NO_STORE });
  const { status, answer } = await checkCustomerUsage(customerRef);
  return Response.json(answer, { status, headers: NO_STORE });
}
