// /customers/:customerId/usage — manual usage, recorded or set once (docs/decisions/0007-exactly-once-writes.md).

import type { ActionFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { submitManualUsage } from "../../server/usage/index.ts";
import { forBrowser } from "~/contracts/ops-results";
import { opsWriteResponse, readOpsWriteForm, unknownIntent } from "~/lib/ops-form.server";

/**
 * POST /customers/:customerId/usage (usage:write) — manual usage, exactly once per idempotency key:
 * intent=record adds one event (usage.track), intent=set sets the current period's total (usage.set).
 */
export async function action({ request, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "usage:write");
  const { intent, form } = await readOpsWriteForm(request, params.customerId);
  if (intent !== "record" && intent !== "set") return unknownIntent();
  const input = { actor: { id: staff.id, email: staff.email }, role: staff.role, form };
  return opsWriteResponse(forBrowser(await submitManualUsage(intent, input)));
}
