/**
 * Reconciliation on request (never from a GET): one customer from its Usage panel, and finance's
 * "check all" sweep — one run at a time per console process, runs spaced by a minimum interval,
 * a bounded number of customers checked concurrently, its progress kept in memory for the screen to poll.
 */
import type { CustomerReconcileAnswer, ReconcileSweepStatus } from "../../../app/contracts/usage.ts";
import { answerCommet } from "../../commet/index.ts";
import type { TimelineCommet } from "./commet.ts";
import { listDrift, reconcileCustomer } from "./reconcile.ts";
import type { TimelineDatabase } from "./schema.ts";

/** One customer against Commet now; the result is stored (the badge and finance's list read it). */
export async function reconcileCustomerNow(
  database: TimelineDatabase,
  commet: TimelineCommet,
  customerRef: string,
): Promise<{ status: number; answer: CustomerReconcileAnswer }> {
  const answer = await answerCommet(() => reconcileCustomer(database, commet, customerRef));
  return answer.ok
    ? { status: 200, answer: { ok: true, drift: answer.value } }
    : { status: answer.status, answer: { ok: false, message: `${answer.problem.title}: ${answer.problem.message}` } };
}

export interface SweepOptions {
  /** The database and Commet client of a run (resolved when it starts). */
  sources: () => Promise<{ database: TimelineDatabase; commet: TimelineCommet }>;
  /** Customers per run (2 Commet reads each). */
  limit?: number;
  /** Customers checked at the same time. */
  concurrency?: number;
  /** Time between the end of a run and the start of the next. */
  minIntervalMs?: number;
  clock?: () => number;
}

export type SweepStart =
  | { started: true; status: ReconcileSweepStatus }
  | { started: false; reason: "running" | "too_soon"; retryAfterSeconds: number; status: ReconcileSweepStatus };

const IDLE: ReconcileSweepStatus = {
  state: "idle",
  startedBy: null,
  startedAt: null,
  finishedAt: null,
  total: 0,
  checked: 0,
  drifted: 0,
  failed: 0,
  error: null,
  nextRunAt: null,
};

/** The sweep's state machine: idle → running → done | failed → (after the interval) running again. */
export function createReconcileSweep(options: SweepOptions) {
  const clock = options.clock ?? Date.now;
  const minIntervalMs = options.minIntervalMs ?? 60_000;
  let current: ReconcileSweepStatus = { ...IDLE };
  let run: Promise<void> = Promise.resolve();

  function status(): ReconcileSweepStatus {
    return { ...current };
  }

  function start(startedBy: string): SweepStart {
    const now = clock();
    if (current.state === "running")
      return { started: false, reason: "running", retryAfterSeconds: 5, status: status() };
    if (current.nextRunAt !== null && now < current.nextRunAt) {
      const retryAfterSeconds = Math.ceil((current.nextRunAt - now) / 1000);
      return { started: false, reason: "too_soon", retryAfterSeconds, status: status() };
    }
    current = { ...IDLE, state: "running", startedBy, startedAt: now };
    run = (async () => {
      try {
        const { database, commet } = await options.sources();
        await listDrift(database, commet, {
          limit: options.limit ?? 500,
          concurrency: options.concurrency ?? 4,
          onProgress: (p) => {
            current = { ...current, ...p };
          },
        });
        current = { ...current, state: "done" };
      } catch (error) {
        console.error("usage: reconciliation sweep failed", error);
        current = { ...current, state: "failed", error: error instanceof Error ? error.message : String(error) };
      } finally {
        const finishedAt = clock();
        current = { ...current, finishedAt, nextRunAt: finishedAt + minIntervalMs };
      }
    })();
    return { started: true, status: status() };
  }

  /** Resolves when the current run (if any) has finished. */
  function settled(): Promise<ReconcileSweepStatus> {
    return run.then(status);
  }

  return { start, status, settled };
}

export type ReconcileSweep = ReturnType<typeof createReconcileSweep>;
