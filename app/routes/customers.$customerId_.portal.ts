// /customers/:customerId/portal — issues a one-time billing-portal link (POST only, never cached).

import type { ActionFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { answerCommet } from "../../server/commet/index.ts";
import { issuePortalLink, PORTAL_LINK_NOTE } from "../../server/portal/index.ts";
import { parseCustomerRef } from "~/contracts/customer-ref";
import { NO_STORE } from "~/contracts/ops-results";

/**
 * POST /customers/:customerId/portal (permission portal:issue): a fresh customer portal link,
 * answered once to the fetcher that asked. Never cached, never logged, never stored. Answers are
 * Responses: a resource route's `data()` loses its status when posted directly.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "portal:issue");
  const customerId = parseCustomerRef(params.customerId);
  if (!customerId) throw Response.json({ message: "No such customer" }, { status: 404, headers: NO_STORE });
  const answer = await answerCommet(() =>
    issuePortalLink({ actor: { id: staff.id, email: staff.email }, role: staff.role, customerId }),
  );
  if (!answer.ok) {
    return Response.json({ ok: false as const, problem: answer.problem }, { status: answer.status, headers: NO_STORE });
  }
  const { portalUrl, issuedAt } = answer.value;
  return Response.json({ ok: true as const, portalUrl, issuedAt, note: PORTAL_LINK_NOTE }, { headers: NO_STORE });
}
