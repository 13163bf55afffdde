// /usage/periods — every customer's current or last closed billing period: usage, estimated charges, invoiced.

import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData, useNavigation } from "@remix-run/react";
import { requireStaff } from "../../server/auth/index.ts";
import { loadBillingPeriodView } from "../../server/billing/index.ts";
import { RouteErrorBoundary } from "~/components/route-error";
import { BillingPeriods } from "~/components/usage/billing-periods";
import { parsePeriodSearch } from "~/contracts/billing-periods";
import { can } from "~/contracts/permissions";

export const meta: MetaFunction = () => [{ title: "Billing periods · Commet Ops Console" }];

/** GET /usage/periods?mode&sort&page&pageSize&plan&status (usage:explore). */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "usage:explore");
  const view = await loadBillingPeriodView(parsePeriodSearch(new URL(request.url).searchParams));
  return { view, canExport: can(staff.role, "export:csv") };
}

export default function BillingPeriodsRoute() {
  const { view, canExport } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  return (
    <BillingPeriods
      view={view}
      canExport={canExport}
      loading={navigation.state === "loading" && navigation.location.pathname === "/usage/periods"}
    />
  );
}

export const ErrorBoundary = RouteErrorBoundary;
