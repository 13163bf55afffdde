/**
 * For the seat and usage write tests: a local Commet sandbox (routed through the real SDK), an audit
 * trail on a scratch database, and write engines bound to both.
 */
import type { Commet, CommetClientOptions } from "@commet/node";
import type { Kysely } from "kysely";
import { createAuditLog, type AuditEntry } from "../audit/index.ts";
import type { DB } from "../db/index.ts";
import {
  clearFaults,
  randomSuffix,
  setFaults,
  subscribedCustomer,
  useContractSandbox,
  type Catalog,
  type FaultRule,
  type SuiteHooks,
  type TestSandbox,
} from "./sandbox.ts";
import { createWriteEngine, type Staff, type WriteDeps, type WriteEngine, type WriteGate } from "../writes/index.ts";

export { clearExchanges, exchanges, type Exchange } from "./sdk-wire.ts";

export const OPS: Staff = { actor: { id: "staff-ops", email: "ops@example.test" }, role: "ops" };
export const ADMIN: Staff = { actor: { id: "staff-admin", email: "admin@example.test" }, role: "admin" };
export const SUPPORT: Staff = { actor: { id: "staff-support", email: "support@example.test" }, role: "support" };

export interface WriteHarness {
  readonly sandbox: TestSandbox;
  /** SDK client for setup and for reading Commet's state (default retries). */
  readonly commet: Commet;
  readonly catalog: Catalog;
  /** A write engine on `db` with its own SDK client (a "process"); `retries` small keeps fault tests fast. */
  /** `gate`: the approvals gate to ask (default none: the write goes straight through). */
  engine(
    db: Kysely<DB>,
    options?: { client?: Partial<CommetClientOptions>; hooks?: WriteDeps["hooks"]; gate?: WriteGate | null },
  ): WriteEngine;
  /** A fresh customer on the metered plan (usage + seats features) with `seats` editor-type seats. */
  customer(seats?: number): Promise<{ id: string; email: string; periodStart: string }>;
  faults(rules: FaultRule[]): Promise<void>;
  clearFaults(): Promise<void>;
  seatCount(customerId: string, seatType?: string): Promise<number>;
  usageTotal(customerId: string, feature?: string): Promise<number>;
}

export function useWriteHarness(hooks: SuiteHooks): WriteHarness {
  const t = useContractSandbox(hooks, { seed: { customers: 3 } });
  const get = () => t;
  return {
    get sandbox() {
      return t.sandbox;
    },
    get commet() {
      return t.commet;
    },
    get catalog() {
      return t.catalog;
    },
    engine(db, options = {}) {
      const { sandbox } = get();
      return createWriteEngine({
        commet: sandbox.client(options.client),
        audit: createAuditLog(db),
        commetUrl: sandbox.url,
        hooks: options.hooks,
        gate: options.gate,
      });
    },
    async customer(seats = 5) {
      const { commet, catalog } = get();
      const { customer, subscription } = await subscribedCustomer(commet, catalog.metered.plan, {
        initialSeats: { [catalog.metered.seats]: seats },
      });
      return {
        id: customer.id,
        email: customer.email,
        periodStart: subscription.currentPeriod?.start ?? new Date().toISOString(),
      };
    },
    faults: (rules) => setFaults(get().sandbox, rules),
    clearFaults: () => clearFaults(get().sandbox),
    async seatCount(customerId, seatType) {
      const { commet, catalog } = get();
      const balance = await commet.seats.getBalance({ customerId, featureCode: seatType ?? catalog.metered.seats });
      return balance.data?.current ?? 0;
    },
    async usageTotal(customerId, feature) {
      const { commet, catalog } = get();
      const access = await commet.featureAccess.get({ code: feature ?? catalog.metered.usage, customerId });
      return access.data?.current ?? 0;
    },
  };
}

/** Audit rows of one customer (all actions), oldest first. */
export async function auditRows(db: Kysely<DB>, customerId: string): Promise<AuditEntry[]> {
  const audit = createAuditLog(db);
  const page = await audit.list({ customerId }, { pageSize: 200, page: 1 });
  return [...page.rows].reverse();
}

/** Thrown by an `afterBegin` hook: the process "dies" between the pending audit row and the Commet call. */
export class SimulatedCrash extends Error {
  constructor() {
    super("simulated crash between the pending audit row and the Commet call");
    this.name = "SimulatedCrash";
  }
}

export function newKey(prefix = "test"): string {
  return `${prefix}-${randomSuffix(8)}`;
}
