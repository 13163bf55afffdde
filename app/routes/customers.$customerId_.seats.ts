// /customers/:customerId/seats — seat change preview and apply (docs/decisions/0007-exactly-once-writes.md).

import type { ActionFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { applySeatChange, previewSeatChange } from "../../server/seats/index.ts";
import { forBrowser } from "~/contracts/ops-results";
import { opsWriteResponse, readOpsWriteForm, unknownIntent } from "~/lib/ops-form.server";

/**
 * POST /customers/:customerId/seats (seats:write) — the seat change form in two steps, through the
 * same checks: intent=preview answers the confirmation (nothing written); intent=apply writes once.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "seats:write");
  const { intent, form } = await readOpsWriteForm(request, params.customerId);
  const input = { actor: { id: staff.id, email: staff.email }, role: staff.role, form };
  if (intent === "preview") return opsWriteResponse(forBrowser(await previewSeatChange(input)));
  if (intent === "apply") return opsWriteResponse(forBrowser(await applySeatChange(input)));
  return unknownIntent();
}
