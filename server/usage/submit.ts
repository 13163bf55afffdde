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
    await recordManualUsageEvent(await getReadyDb(), timelineEntry(intent, result, input.actor.email)).catch(
      (error: unknown) =>
        console.error("usage timeline: manual entry not recorded (the webhook still brings it)", error),
    );
  }
  return result;
}

/**
 * The timeline entry of an accepted write, from what was sent (never the raw form: the console records the
 * value Commet got) and what Commet answered (usage.track's UsageEvent, usage.set's UsageAdjustment).
 */
export function timelineEntry(
  intent: ManualUsageIntent,
  result: Extract<WriteResult, { kind: "ok" }>,
  staff: string,
): ManualUsageEventInput {
  const sent = result.request.params as { customerId: string; feature: string; value: number };
  const event = (result.data ?? {}) as { ts?: string; feature?: string; adjustment?: number; value?: number };
  const common = {
    usageEventId: result.eventId!,
    customerId: sent.customerId,
    feature: event.feature ?? sent.feature,
    occurredAt: event.ts ?? result.at,
    staff,
    auditId: result.auditId,
  };
  if (intent === "record") return { ...common, kind: "track", quantity: sent.value };
  return { ...common, kind: "set", quantity: Number(event.adjustment ?? 0), setTo: Number(event.value ?? sent.value) };
}
