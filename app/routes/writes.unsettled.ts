// /writes/unsettled?customer=… — a customer's writes awaiting Commet's confirmation, as JSON (the customer page's notice refreshes from it).

import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { customerUnsettledWrites } from "../../server/writes/index.ts";
import { parseCustomerRef } from "~/contracts/customer-ref";
import { NO_STORE } from "~/contracts/ops-results";

/** customers:read — `{ writes }`; a missing or bad `customer` → 400. */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "customers:read");
  const customerRef = parseCustomerRef(new URL(request.url).searchParams.get("customer") ?? undefined);
  if (!customerRef) return Response.json({ message: "Name a customer" }, { status: 400, headers: NO_STORE });
  const writes = await customerUnsettledWrites(customerRef, staff.id);
  return Response.json({ writes }, { headers: NO_STORE });
}
