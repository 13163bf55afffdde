// /customers/:customerId/recovery — a recovery link for a past-due subscription, shown once (recovery:issue).

import type { ActionFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { issueRecoveryLink } from "../../server/payments/index.ts";
import { NO_STORE } from "~/contracts/ops-results";
import { paymentStatus } from "~/contracts/payments";
import { readOpsWriteForm } from "~/lib/ops-form.server";

/**
 * POST (recovery:issue): the link is answered once to the fetcher that asked — never cached, logged or
 * stored (the audit row records who issued one, for whom and when).
 */
export async function action({ request, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "recovery:issue");
  const { form } = await readOpsWriteForm(request, params.customerId);
  const answer = await issueRecoveryLink({ actor: { id: staff.id, email: staff.email }, role: staff.role, form });
  return Response.json(answer, { status: paymentStatus(answer), headers: NO_STORE });
}
