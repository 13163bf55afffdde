// /usage/reconcile — runs the usage check against Commet (docs/decisions/0008-usage-timeline.md).

import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { reconcileSweepStatus, startReconcileSweep } from "../../server/usage/timeline/index.ts";
import { NO_STORE } from "~/contracts/ops-results";

/** GET /usage/reconcile — how finance's "check all against Commet" run is going (the screen polls it). */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireStaff(request, "usage:explore");
  return Response.json(reconcileSweepStatus(), { headers: NO_STORE });
}

/** POST /usage/reconcile — starts a run (202); one already running or one just finished → 429 + Retry-After. */
export async function action({ request }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "usage:explore");
  const start = startReconcileSweep(staff);
  if (start.started) return Response.json({ refused: null, status: start.status }, { status: 202, headers: NO_STORE });
  return Response.json(
    { refused: start.reason, status: start.status },
    { status: 429, headers: { ...NO_STORE, "Retry-After": String(start.retryAfterSeconds) } },
  );
}
