import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { auditCsvResponse, parseAuditSearch, recordAudit } from "../../server/audit/index.ts";

/** export:csv (finance, admin) — the audit trail as CSV, with the same filters as /audit (streamed). */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "export:csv");
  const { filters } = parseAuditSearch(new URL(request.url).searchParams);
  await recordAudit(
    {
      actor: { id: staff.id, email: staff.email },
      role: staff.role,
      action: "audit.export",
      params: { filters },
      idempotencyKey: crypto.randomUUID(),
    },
    { status: "succeeded" },
  );
  return auditCsvResponse(filters);
}
