// Catch-all route — any URL no other route claims answers a real 404 (for signed-in staff only).

import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { RouteErrorBoundary } from "~/components/route-error";

/** Every URL no other route claims: a real 404 response rendered by the error boundary (signed in: the console's map stays private). */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireStaff(request);
  throw data(null, { status: 404 });
}

export const meta: MetaFunction = () => [{ title: "Page not found · Commet Ops Console" }];

export default function NotFound() {
  return null;
}

export const ErrorBoundary = RouteErrorBoundary;
