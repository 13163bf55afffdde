import type { Commet } from "@commet/node";
import { randomUUID } from "node:crypto";
import { connectCommet, getCommet } from "../../server/commet/client.ts";
import { E2E_SANDBOX_KEY } from "../global-setup.ts";

/**
 * The real `@commet/node` SDK in the spec process, routed (undici, https://commet.co → the harness
 * sandbox) like the console's own client — so a journey checks what Commet holds, not what the page says.
 */
export function sandboxSdk(): Commet {
  connectCommet({ apiKey: E2E_SANDBOX_KEY, apiUrl: process.env.E2E_SANDBOX_URL!, embeddedSandbox: false });
  return getCommet();
}

/** A new customer on an active Pro subscription (seats editor/viewer, metered api_calls), untouched by other specs. */
export async function freshProCustomer(commet: Commet, label: string, initialSeats: Record<string, number> = {}) {
  const tag = randomUUID().slice(0, 8);
  const customer = (
    await commet.customers.create({
      email: `${label}+${tag}@example.test`,
      externalId: `e2e_${label}_${tag}`,
      fullName: `E2E ${label} ${tag}`,
    })
  ).data;
  if (!customer) throw new Error("the sandbox created no customer");
  const subscription = (
    await commet.subscriptions.create({ customerId: customer.id, planCode: "pro", skipTrial: true, initialSeats })
  ).data;
  if (subscription?.status !== "active") throw new Error(`the Pro subscription came back ${subscription?.status}`);
  return { id: customer.id, email: customer.email };
}

export async function seatCount(commet: Commet, customerId: string, seatType: string): Promise<number> {
  return (await commet.seats.getBalance({ customerId, featureCode: seatType })).data?.current ?? 0;
}

/** This period's usage of a feature, as Commet counts it. */
export async function usageTotal(commet: Commet, customerId: string, featureCode: string): Promise<number> {
  const features = (await commet.featureAccess.list({ customerId })).data ?? [];
  return features.find((f) => f.code === featureCode)?.current ?? 0;
}
