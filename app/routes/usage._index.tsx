import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { requireStaff } from "../../server/auth/index.ts";
import { EXPLORER_DETAIL_ROWS, loadUsageExplorer, reconcileAll } from "../../server/usage/timeline/index.ts";
import { RouteErrorBoundary } from "~/components/route-error";
import { UsageExplorer } from "~/components/usage/explorer";
import usageStyles from "~/components/usage/usage.css?url";
import { can } from "~/contracts/permissions";
import { parseUsageSearch } from "~/contracts/usage-search";
import { readFormData } from "~/lib/form-body.server";

export const meta: MetaFunction = () => [{ title: "Usage · Commet Ops Console" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: usageStyles }];

export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "usage:explore");
  const page = await loadUsageExplorer(parseUsageSearch(new URL(request.url).searchParams));
  return data(
    { page, canExport: can(staff.role, "export:csv"), detailRows: EXPLORER_DETAIL_ROWS },
    { status: page.rangeError ? 400 : 200 },
  );
}

/** Finance: re-check the customers with recent usage or a live subscription against Commet now. */
export async function action({ request }: ActionFunctionArgs) {
  await requireStaff(request, "usage:explore");
  const form = await readFormData(request);
  if (form.get("intent") !== "reconcile") return data({ reconciled: null, error: "Unknown action" }, { status: 400 });
  return { reconciled: await reconcileAll(), error: null };
}

export default function UsageExplorerRoute() {
  const { page, canExport, detailRows } = useLoaderData<typeof loader>();
  const reconciled = useActionData<typeof action>();
  const navigation = useNavigation();
  return (
    <UsageExplorer
      page={page}
      canExport={canExport}
      detailRows={detailRows}
      reconciled={reconciled?.reconciled ?? null}
      loading={navigation.state === "loading" && navigation.location.pathname === "/usage"}
      reconciling={navigation.state === "submitting" && navigation.formData?.get("intent") === "reconcile"}
    />
  );
}

export const ErrorBoundary = RouteErrorBoundary;
