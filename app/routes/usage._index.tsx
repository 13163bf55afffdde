// /usage — the usage explorer: totals, top customers, drift, detail rows (docs/decisions/0008-usage-timeline.md).

import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useLoaderData, useNavigation } from "@remix-run/react";
import { requireStaff } from "../../server/auth/index.ts";
import { loadPricedUsageExplorer } from "../../server/billing/index.ts";
import { EXPLORER_DETAIL_ROWS } from "../../server/usage/timeline/index.ts";
import { RouteErrorBoundary } from "~/components/route-error";
import { UsageExplorer } from "~/components/usage/explorer";
import usageStyles from "~/components/usage/usage.css?url";
import { can } from "~/contracts/permissions";
import { parseUsageSearch } from "~/contracts/usage-search";

export const meta: MetaFunction = () => [{ title: "Usage · Commet Ops Console" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: usageStyles }];

export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "usage:explore");
  const page = await loadPricedUsageExplorer(parseUsageSearch(new URL(request.url).searchParams));
  return data(
    { page, canExport: can(staff.role, "export:csv"), detailRows: EXPLORER_DETAIL_ROWS },
    { status: page.rangeError ? 400 : 200 },
  );
}

export default function UsageExplorerRoute() {
  const { page, canExport, detailRows } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  return (
    <UsageExplorer
      page={page}
      canExport={canExport}
      detailRows={detailRows}
      loading={navigation.state === "loading" && navigation.location.pathname === "/usage"}
    />
  );
}

export const ErrorBoundary = RouteErrorBoundary;
