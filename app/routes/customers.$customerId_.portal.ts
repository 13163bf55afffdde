import type { ActionFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { answerCommet } from "../../server/commet/index.ts";
import { issuePortalLink, PORTAL_LINK_NOTE } from "../../server/portal/index.ts";
import { parseCustomerRef } from "~/contracts/customer-ref";

/**
 * POST /customers/:customerId/portal (permission portal:issue): a fresh customer portal link,
 * answered once to the fetcher that asked. Never cached, never logged, never stored.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "portal:issue");
  const customerId = parseCustomerRef(params.customerId);
  if (!customerId) throw data(null, { status: 404 });
  const noStore = { "Cache-Control": "no-store" };
  const answer = await answerCommet(() =>
    issuePortalLink({ actor: { id: staff.id, email: staff.email }, role: staff.role, customerId }),
  );
  if (!answer.ok) {
    return data({ ok: false as const, problem: answer.problem }, { status: answer.status, headers: noStore });
  }
  const { portalUrl, issuedAt } = answer.value;
  return data({ ok: true as const, portalUrl, issuedAt, note: PORTAL_LINK_NOTE }, { headers: noStore });
}
