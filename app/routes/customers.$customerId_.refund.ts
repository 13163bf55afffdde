// /customers/:customerId/refund — refunds a settled charge in full, exactly once (payments:refund).

import type { ActionFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { refundPayment } from "../../server/payments/index.ts";
import { forBrowser, NO_STORE } from "~/contracts/ops-results";
import { paymentStatus } from "~/contracts/payments";
import { readOpsWriteForm } from "~/lib/ops-form.server";

/** POST (payments:refund): the confirmed amount must still be Commet's; a subscription invoice's refund ends it. */
export async function action({ request, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "payments:refund");
  const { form } = await readOpsWriteForm(request, params.customerId);
  const result = await refundPayment({ actor: { id: staff.id, email: staff.email }, role: staff.role, form });
  const answer = result.kind === "refused" ? result : forBrowser(result);
  return Response.json(answer, { status: paymentStatus(answer), headers: NO_STORE });
}
