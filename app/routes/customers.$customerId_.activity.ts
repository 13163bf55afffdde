// /customers/:customerId/activity — one page of the customer's account activity as JSON (the panel's filters and "older").

import type { LoaderFunctionArgs } from "@remix-run/node";
import { customerActivityAnswer } from "../../server/activity/index.ts";
import { requireStaff } from "../../server/auth/index.ts";
import { activityQuerySchema } from "~/contracts/activity";
import { parseCustomerRef } from "~/contracts/customer-ref";
import { NO_STORE } from "~/contracts/ops-results";

/**
 * GET /customers/:customerId/activity?kind=payments&cursor=… — Commet's webhooks about the customer and
 * the staff actions on it, newest first (security actions for admins only). A bad kind or cursor → 400.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "customers:read");
  const customerRef = parseCustomerRef(params.customerId);
  if (!customerRef) throw Response.json({ ok: false, message: "No such customer" }, { status: 404, headers: NO_STORE });
  const query = activityQuerySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success) {
    const message = query.error.issues.map((issue) => issue.message).join("; ");
    return Response.json({ ok: false, message }, { status: 400, headers: NO_STORE });
  }
  const { status, body } = await customerActivityAnswer(customerRef, staff.role, query.data);
  return Response.json(body, { status, headers: NO_STORE });
}
