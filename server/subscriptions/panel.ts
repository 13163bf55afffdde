/** What the Subscription actions panel of the customer page starts from, read fresh from Commet. */
import type { SubscriptionActionsPanel } from "../../app/contracts/subscription-actions.ts";
import { writeEngineFor, type WriteEngine } from "../writes/index.ts";
import { loadSubscriptionContext, toActionsPanel } from "./context.ts";

/** null: the customer has no active subscription. timeoutMs: per-attempt timeout of each read. */
export async function loadSubscriptionActions(
  customerId: string,
  engine?: WriteEngine,
  options: { timeoutMs?: number } = {},
): Promise<SubscriptionActionsPanel | null> {
  const context = await loadSubscriptionContext(writeEngineFor(engine).commet(), customerId, options);
  return context ? toActionsPanel(context) : null;
}
