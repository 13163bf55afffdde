// /payments — the org-wide payments queue (parse → authorize → one call → render).

import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useLoaderData, useNavigation } from "@remix-run/react";
import { requireStaff } from "../../server/auth/index.ts";
import { callCommet } from "../../server/commet/index.ts";
import { loadPaymentsQueue } from "../../server/payments/index.ts";
import { PaymentsQueueView } from "~/components/payments/payments-queue";
import { RouteErrorBoundary } from "~/components/route-error";
import { parsePaymentsSearch } from "~/contracts/payments";
import { can } from "~/contracts/permissions";

export const meta: MetaFunction = () => [{ title: "Payments · Commet Ops Console" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "customers:read");
  const queue = await callCommet(() => loadPaymentsQueue(parsePaymentsSearch(new URL(request.url).searchParams)));
  return data({ queue, canExport: can(staff.role, "export:csv") }, { status: queue.rangeError ? 400 : 200 });
}

export default function PaymentsRoute() {
  const { queue, canExport } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  return (
    <PaymentsQueueView
      queue={queue}
      canExport={canExport}
      loading={navigation.state === "loading" && navigation.location.pathname === "/payments"}
    />
  );
}

export const ErrorBoundary = RouteErrorBoundary;
