// /customers/:customerId/subscription — subscription actions: cancel, revert, cancel now, plan preview and change.

import type { ActionFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import {
  applyPlanChange,
  cancelNow,
  previewPlanChange,
  revertCancellation,
  scheduleCancellation,
} from "../../server/subscriptions/index.ts";
import { forBrowser } from "~/contracts/ops-results";
import { opsWriteResponse, readOpsWriteForm, unknownIntent } from "~/lib/ops-form.server";

const INTENTS = {
  cancel: scheduleCancellation,
  uncancel: revertCancellation,
  "cancel-now": cancelNow,
  "preview-plan": previewPlanChange,
  "change-plan": applyPlanChange,
} as const;

/**
 * POST /customers/:customerId/subscription — one intent per action; each domain function checks its
 * own permission (cancel, uncancel: subscriptions:cancel · cancel-now: subscriptions:cancel-now ·
 * preview-plan, change-plan: subscriptions:change-plan) and answers 403 otherwise. preview-plan writes nothing.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request);
  const { intent, form } = await readOpsWriteForm(request, params.customerId);
  const run =
    typeof intent === "string" && Object.hasOwn(INTENTS, intent) ? INTENTS[intent as keyof typeof INTENTS] : null;
  if (!run) return unknownIntent();
  return opsWriteResponse(
    forBrowser(await run({ actor: { id: staff.id, email: staff.email }, role: staff.role, form })),
  );
}
