// /customers/:customerId/payment-retry — retries a failed subscription renewal, exactly once (payments:retry).

import type { ActionFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { retryPayment } from "../../server/payments/index.ts";
import { forBrowser, NO_STORE } from "~/contracts/ops-results";
import { paymentStatus } from "~/contracts/payments";
import { readOpsWriteForm } from "~/lib/ops-form.server";

/** POST (payments:retry): Commet answers `processing`; the outcome arrives later as a webhook. */
export async function action({ request, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "payments:retry");
  const { form } = await readOpsWriteForm(request, params.customerId);
  const result = await retryPayment({ actor: { id: staff.id, email: staff.email }, role: staff.role, form });
  const answer = result.kind === "refused" ? result : forBrowser(result);
  return Response.json(answer, { status: paymentStatus(answer), headers: NO_STORE });
}
