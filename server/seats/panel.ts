/** What the seat panel of the customer page starts from (and the form carries as seenCount), read fresh. */
import type { SeatPanel } from "../../app/contracts/ops-panels.ts";
import { loadBillingContext } from "../billing/index.ts";
import { writeEngineFor, type WriteEngine } from "../writes/index.ts";

/**
 * The plan's seat types with their current counts; null when the customer has no active subscription.
 * timeoutMs: per-attempt timeout of each read (the customer page passes its panels', so these reads are the panels').
 */
export async function loadSeatPanel(
  customerId: string,
  engine?: WriteEngine,
  options: { timeoutMs?: number } = {},
): Promise<SeatPanel | null> {
  const commet = writeEngineFor(engine).commet();
  const loaded = await loadBillingContext(commet, customerId, { customer: true, timeoutMs: options.timeoutMs });
  if (!loaded.ok) return null;
  const { context } = loaded;
  const request = options.timeoutMs === undefined ? undefined : { timeout: options.timeoutMs };
  const balances = (await commet.seats.getAllBalances({ customerId }, request)).data as
    { balances?: Record<string, { current: number }> } | undefined;
  return {
    customer: context.customer,
    livemode: context.livemode,
    period: context.subscription.currentPeriod,
    planName: context.plan.name,
    seatTypes: context.plan.features
      .filter((f) => f.type === "seats" && f.enabled)
      .map((f) => ({
        code: f.code,
        name: f.name,
        current: balances?.balances?.[f.code]?.current ?? 0,
        included: f.included,
        unlimited: f.unlimited,
        unitPrice: f.overageUnitPrice,
      })),
  };
}
