import type { LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { getCommet } from "../../server/commet/client.ts";
import { listPlans, toCommetProblem } from "../../server/commet/index.ts";
import { getReadyDb } from "../../server/db/index.ts";
import {
  customerUsage,
  customerUsageTab,
  getDriftStatus,
  getIngestStatus,
  InvalidRangeError,
  reconcileCustomer,
  resolveRange,
} from "../../server/usage/timeline/index.ts";
import { parseCustomerRef } from "~/contracts/customer-ref";
import { parseUsageSearch } from "~/contracts/usage-search";

/**
 * GET /usage/customer/:customerId?range=7d|30d|90d|custom&from&to — the customer page's Usage panel
 * (fetched by app/components/usage/customer-usage-panel.tsx): the timeline's daily series per feature
 * and manual entries, Commet's included amounts and current period, and a fresh reconciliation (the
 * drift badge; stored, so finance's drift list sees it). Never throws for an expected failure: the
 * panel shows `problem` in place (Commet down → timeline only; bad range → message).
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireStaff(request, "customers:read");
  const customerRef = parseCustomerRef(params.customerId);
  if (!customerRef) throw data(null, { status: 404 });
  const search = parseUsageSearch(new URL(request.url).searchParams);
  let range;
  try {
    range = resolveRange({ range: search.range, from: search.from, to: search.to }, Date.now());
  } catch (error) {
    if (error instanceof InvalidRangeError)
      return data({ ok: false as const, message: error.message }, { status: 400 });
    throw error;
  }
  const database = await getReadyDb();
  const commet = getCommet();
  const [tab, drift, ingest, plans] = await Promise.all([
    customerUsageTab(database, commet, customerRef, range).then(
      (value) => ({ value, problem: null }),
      async (error: unknown) => ({ value: null, problem: toCommetProblem(error) }),
    ),
    reconcileCustomer(database, commet, customerRef).catch(() => getDriftStatus(database, customerRef)),
    getIngestStatus(database),
    listPlans().catch(() => []),
  ]);
  const units: Record<string, string | null> = {};
  for (const p of plans) for (const f of p.features) if (f.type === "usage") units[f.code] ??= f.unitName;
  const usage = tab.value ?? { ...(await customerUsage(database, customerRef, range)), period: null, limits: [] };
  return {
    ok: true as const,
    customerRef,
    search: { range: search.range, from: search.from ?? null, to: search.to ?? null },
    usage,
    units,
    /** Commet could not be read: limits and period are missing, the timeline is shown alone. */
    liveProblem: tab.value
      ? null
      : {
          title: tab.problem?.title ?? "Commet could not be read",
          message: tab.problem?.message ?? "The included amounts and the current period are missing.",
        },
    drift,
    ingest,
  };
}
