// /audit/export.csv — the audit trail as streamed CSV, with /audit's filters (finance, admin).

import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { exportAuditTrail } from "../../server/audit/trail-screen.ts";

/** export:csv (finance, admin) — the audit trail as CSV, with the same filters as /audit (streamed). */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "export:csv");
  return exportAuditTrail(staff, new URL(request.url).searchParams);
}
