/** The exactly-once frame every subscription write shares (server/writes, decision 0010). */
import type { SubscriptionWriteResult } from "../../app/contracts/subscription-actions.ts";
import type { Role } from "../../app/contracts/permissions.ts";
import type { Staff, WriteAction, WriteEngine } from "../writes/index.ts";

export interface SubscriptionActionInput {
  actor: Staff["actor"];
  role: Role | null;
  /** The submitted form (FormData or fields); customerId is the page's customer. */
  form: FormData | Record<string, unknown>;
}

/**
 * A reused key is answered from the audit trail; otherwise `body` runs its fresh checks and writes,
 * one subscription write per customer at a time in this process — a second staffer's action then
 * meets the fresh state (e.g. "already scheduled") instead of racing it.
 */
export function writeOnce(
  writes: WriteEngine,
  action: WriteAction,
  form: { idempotencyKey: string; customerId: string },
  identity: Record<string, unknown>,
  body: () => Promise<SubscriptionWriteResult>,
): Promise<SubscriptionWriteResult> {
  return writes.keyed(
    {
      action,
      idempotencyKey: form.idempotencyKey,
      customerId: form.customerId,
      identity,
      lane: `#subscription ${form.customerId}`,
      // The state moved because another console process wrote this very key meanwhile: its answer, not a refusal.
      rereadWhen: (result) => result.kind === "stale",
    },
    body,
  );
}

/** A successful write answers with its effect in words (kept after the engine's note when it completed an earlier attempt). */
export function withEffect(result: SubscriptionWriteResult, effect: string): SubscriptionWriteResult {
  if (result.kind !== "ok") return result;
  return { ...result, message: result.resumed ? `${result.message}. ${effect}` : effect };
}
