import type { ActionFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { getReadyDb } from "../../server/db/index.ts";
import { recordManualUsage, setPeriodUsage } from "../../server/usage/index.ts";
import { recordManualUsageEvent, type ManualUsageEventInput } from "../../server/usage/timeline/index.ts";
import { readOpsWriteForm } from "~/lib/ops-form.server";
import { NO_STORE, forBrowser, writeStatus, type OpsWriteResult } from "~/lib/ops-results";

const respond = (result: OpsWriteResult) => data(result, { status: writeStatus(result), headers: NO_STORE });

/**
 * POST /customers/:customerId/usage (permission usage:write) — manual usage, exactly once per
 * idempotency key (the key the form was rendered with):
 *   intent=record: recordManualUsage (usage.track; the same key again answers "already recorded")
 *   intent=set:    setPeriodUsage (usage.set, the exact total of the current period)
 */
export async function action({ request, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "usage:write");
  const { customerId, intent, form } = await readOpsWriteForm(request, params.customerId);
  const input = { actor: { id: staff.id, email: staff.email }, role: staff.role, form };

  if (intent === "record" || intent === "set") {
    const result = intent === "record" ? await recordManualUsage(input) : await setPeriodUsage(input);
    // The usage timeline keeps the entry as manual (staff + audit row): the customer's Usage tab annotates it.
    if (result.kind === "ok" && result.eventId) {
      await recordManualUsageEvent(
        await getReadyDb(),
        manualEntry(intent, result, customerId, form, staff.email),
      ).catch((error: unknown) =>
        console.error("usage timeline: manual entry not recorded (the webhook still brings it)", error),
      );
    }
    return respond(forBrowser(result));
  }
  return respond({ kind: "field_errors", fieldErrors: { _form: ["Unknown action"] }, message: "Unknown action" });
}

/** What Commet answered (usage.track's UsageEvent, usage.set's UsageAdjustment) as a timeline entry. */
function manualEntry(
  intent: "record" | "set",
  result: { eventId: string | null; data: unknown; at: number; auditId: string },
  customerId: string,
  form: Record<string, unknown>,
  staff: string,
): ManualUsageEventInput {
  const event = (result.data ?? {}) as { ts?: string; feature?: string; adjustment?: number; value?: number };
  const common = {
    usageEventId: result.eventId!,
    customerId,
    feature: event.feature ?? String(form.featureCode),
    occurredAt: event.ts ?? result.at,
    staff,
    auditId: result.auditId,
  };
  if (intent === "record") return { ...common, kind: "track", quantity: Number(form.quantity) };
  return { ...common, kind: "set", quantity: Number(event.adjustment ?? 0), setTo: Number(event.value ?? form.value) };
}
