import path from "node:path";
import { createAuditLog } from "../../server/audit/index.ts";
import { createDatabase } from "../../server/db/index.ts";

/**
 * A crash between "pending" and the Commet call, as the console would leave it: an audit row for a
 * seat change (the exact SDK request and idempotency key stored), begun minutes ago, never finalized,
 * and nothing sent to Commet. Written straight into the console's database — the same row the write
 * engine (server/writes) writes before it calls Commet.
 */
export interface SandboxAccess {
  url: string;
  apiKey: string;
}

async function sandboxGet<T>(sandbox: SandboxAccess, route: string): Promise<T> {
  const response = await fetch(new URL(`/api/v1${route}`, sandbox.url), { headers: { "x-api-key": sandbox.apiKey } });
  if (!response.ok) throw new Error(`sandbox GET ${route}: ${response.status}`);
  return ((await response.json()) as { data: T }).data;
}

/** Editor seats of a customer, as Commet (the sandbox) counts them. */
export async function editorSeats(sandbox: SandboxAccess, customerId: string): Promise<number> {
  const balance = await sandboxGet<{ current: number }>(
    sandbox,
    `/seats/balance?customerId=${encodeURIComponent(customerId)}&featureCode=editor`,
  );
  return balance.current;
}

export async function seedPendingSeatChange(options: {
  dataDir: string;
  sandbox: SandboxAccess;
  actor: { id: string | null; email: string };
  add?: number;
  ageMs?: number;
}) {
  const [subscription] = await sandboxGet<Array<{ customerId: string }>>(
    options.sandbox,
    "/subscriptions?status=active&limit=1",
  );
  if (!subscription) throw new Error("the sandbox has no active subscription to change seats on");
  const customerId = subscription.customerId;
  const before = await editorSeats(options.sandbox, customerId);
  const add = options.add ?? 2;
  const database = createDatabase(path.join(options.dataDir, "console.sqlite"));
  try {
    const createdAt = Date.now() - (options.ageMs ?? 5 * 60_000);
    const audit = createAuditLog(database.db, { clock: () => createdAt });
    const idempotencyKey = `seats-e2e-${crypto.randomUUID()}`;
    const auditId = await audit.begin({
      actor: options.actor,
      role: "ops",
      action: "seats.change",
      customerId,
      idempotencyKey,
      params: {
        seatType: "editor",
        op: "add",
        quantity: add,
        from: before,
        to: before + add,
        reasonCode: "customer_request",
        request: { call: "seats.add", params: { customerId, featureCode: "editor", count: add } },
      },
    });
    return { auditId, customerId, idempotencyKey, before, add };
  } finally {
    await database.close();
  }
}
