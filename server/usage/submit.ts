/**
 * The manual usage forms' one call: the exactly-once write, then — once Commet accepted it — its entry
 * on the usage timeline as manual (staff and audit row), which the customer's Usage tab annotates.
 */
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import { getReadyDb } from "../db/index.ts";
import { recordManualUsage, setPeriodUsage, type UsageWriteInput } from "./manual.ts";
import { recordManualUsageEvent, type ManualUsageEventInput } from "./timeline/index.ts";

export type ManualUsageIntent = "record" | "set";

export async function submitManualUsage(intent: ManualUsageIntent, input: UsageWriteInput): Promise<WriteResult> {
  const result = intent === "record" ? await recordManualUsage(input) : await setPeriodUsage(input);
  if (result.kind === "ok" && result.eventId) {
    const form = input.form instanceof FormData ? Object.fromEntries(input.form) : input.form;
    await recordManualUsageEvent(await getReadyDb(), timelineEntry(intent, result, form, input.actor.email)).catch(
      (error: unknown) =>
        console.error("usage timeline: manual entry not recorded (the webhook still brings it)", error),
    );
  }
  return result;
}

/** What Commet answered (usage.track's UsageEvent, usage.set's UsageAdjustment) as a timeline entry. */
function timelineEntry(
  intent: ManualUsageIntent,
  result: { eventId: string | null; data: unknown; at: number; auditId: string },
  form: Record<string, unknown>,
  staff: string,
): ManualUsageEventInput {
  const event = (result.data ?? {}) as { ts?: string; feature?: string; adjustment?: number; value?: number };
  const common = {
    usageEventId: result.eventId!,
    customerId: String(form.customerId),
    feature: event.feature ?? String(form.featureCode),
    occurredAt: event.ts ?? result.at,
    staff,
    auditId: result.auditId,
  };
  if (intent === "record") return { ...common, kind: "track", quantity: Number(form.quantity) };
  return { ...common, kind: "set", quantity: Number(event.adjustment ?? 0), setTo: Number(event.value ?? form.value) };
}
