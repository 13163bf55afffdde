/** What the seat panel of the customer page starts from (and the form carries as seenCount), read fresh. */
import type { SeatPanel } from "../../app/contracts/ops-panels.ts";
import { loadBillingContext } from "../billing/index.ts";
import { writeEngineFor, type WriteEngine } from "../writes/index.ts";

/** The plan's seat types with their current counts; null when the customer has no active subscription. */
export async function loadSeatPanel(customerId: string, engine?: WriteEngine): Promise<SeatPanel | null> {
  const commet = writeEngineFor(engine).commet();
  const loaded = await loadBillingContext(commet, customerId, { customer: true });
  if (!loaded.ok) return null;
  const { context } = loaded;
  const balances = (await commet.seats.getAllBalances({ customerId })).data as
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
