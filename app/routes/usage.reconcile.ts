import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { reconcileSweepStatus, startReconcileSweep } from "../../server/usage/timeline/index.ts";

/** GET /usage/reconcile — how finance's "check all against Commet" run is going (the screen polls it). */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireStaff(request, "usage:explore");
  return data(reconcileSweepStatus(), { headers: { "Cache-Control": "no-store" } });
}

/** POST /usage/reconcile — starts a run (202); one already running or one just finished → 429 + Retry-After. */
export async function action({ request }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "usage:explore");
  const start = startReconcileSweep(staff);
  if (start.started) return data({ refused: null, status: start.status }, { status: 202 });
  return data(
    { refused: start.reason, status: start.status },
    { status: 429, headers: { "Retry-After": String(start.retryAfterSeconds) } },
  );
}
