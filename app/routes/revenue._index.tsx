// /revenue — the revenue overview for finance (parse → authorize → one call → render).

import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useLoaderData, useNavigation } from "@remix-run/react";
import { requireStaff } from "../../server/auth/index.ts";
import { loadRevenueOverview } from "../../server/revenue/index.ts";
import { RevenueOverviewView } from "~/components/revenue/revenue-overview";
import { RouteErrorBoundary } from "~/components/route-error";
import { can } from "~/contracts/permissions";
import { parseRevenueSearch } from "~/contracts/revenue";

export const meta: MetaFunction = () => [{ title: "Revenue · Commet Ops Console" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "revenue:read");
  const { search, error } = parseRevenueSearch(new URL(request.url).searchParams);
  if (error) return data({ overview: null, error, search, canExport: false }, { status: 400 });
  const overview = await loadRevenueOverview(search);
  return data({ overview, error: null, search, canExport: can(staff.role, "export:csv") });
}

export default function RevenueRoute() {
  const { overview, error, search, canExport } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  return (
    <RevenueOverviewView
      overview={overview}
      error={error}
      search={search}
      canExport={canExport}
      loading={navigation.state === "loading" && navigation.location.pathname === "/revenue"}
    />
  );
}

export const ErrorBoundary = RouteErrorBoundary;
