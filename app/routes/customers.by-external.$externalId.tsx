// /customers/by-external/:externalId — sends other internal tools' links on to the customer page.

import type { LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { RouteErrorBoundary } from "~/components/route-error";
import { customerHref, parseCustomerRef } from "~/contracts/customer-ref";

/**
 * /customers/by-external/:externalId — for links from other internal tools: redirects to the
 * customer page, which resolves externalIds live in Commet (404 there when nobody has it).
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireStaff(request, "customers:read");
  const externalId = parseCustomerRef(params.externalId);
  if (!externalId) throw data(null, { status: 404 });
  return redirect(customerHref(externalId));
}

export default function ByExternalId() {
  return null;
}

export const ErrorBoundary = RouteErrorBoundary;
