/**
 * The primary of a console with several workers (node:cluster): forks them, hands them where Commet is, starts
 * them one first then the rest, restarts a crashed one, and stops them all gracefully on SIGTERM/SIGINT.
 */
import cluster, { type Worker } from "node:cluster";
import type { CommetHandover, PrimaryMessage, WorkerMessage } from "./messages.ts";

export interface PrimaryOptions {
  workers: number;
  /** Where Commet is, once the workers share a port (the embedded sandbox needs it for its webhooks). */
  connect: (port: number) => Promise<{ commet: CommetHandover; stop?: () => Promise<void> }>;
  /** Called once every worker serves (prints the "console listening on" line). */
  ready: (port: number, commet: CommetHandover) => void;
  /** Extra things to close on the way out (the metrics server). */
  onShutdown?: () => Promise<void>;
  log: (line: string) => void;
}

/** How long workers get to finish their requests and background work before they are killed. */
const SHUTDOWN_GRACE_MS = 15_000;

function send(worker: Worker, message: PrimaryMessage): void {
  if (worker.isConnected()) worker.send(message);
}

/** Resolves with the first message of `type` from the worker; rejects if it exits before. */
function nextMessage<T extends WorkerMessage["type"]>(
  worker: Worker,
  type: T,
): Promise<Extract<WorkerMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: WorkerMessage) => {
      if (message?.type !== type) return;
      worker.off("exit", onExit);
      worker.off("message", onMessage);
      resolve(message as Extract<WorkerMessage, { type: T }>);
    };
    const onExit = (code: number | null, signal: string | null) => {
      worker.off("message", onMessage);
      reject(new Error(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`}) before it was ${type}`));
    };
    worker.on("message", onMessage);
    worker.once("exit", onExit);
  });
}

/** A promise awaited later: its rejection (the worker died) must not count as unhandled meanwhile. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * A page's garbage dies young; a larger young generation lets V8 scavenge less often, copying fewer objects that
 * are still in flight (≈ 15 % less GC time per page, docs/decisions/0029-lean-pages.md). An operator's own
 * `--max-semi-space-size` (execArgv or NODE_OPTIONS) wins.
 */
export function workerExecArgv(execArgv: readonly string[], nodeOptions = process.env.NODE_OPTIONS ?? ""): string[] {
  const set = [...execArgv, nodeOptions].some((arg) => arg.includes("--max-semi-space-size"));
  return set ? [...execArgv] : [...execArgv, "--max-semi-space-size=32"];
}

export async function runPrimary(options: PrimaryOptions): Promise<void> {
  cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv) });
  let shuttingDown = false;
  let stopCommet: (() => Promise<void>) | undefined;
  let commet: CommetHandover | undefined;
  const forkedAt = new Map<number, number>();

  const fork = () => {
    const worker = cluster.fork();
    forkedAt.set(worker.id, Date.now());
    return { worker, waiting: handled(nextMessage(worker, "console:waiting")) };
  };
  let port = 0;
  const start = async ({ worker, waiting }: ReturnType<typeof fork>, handover: CommetHandover) => {
    await waiting;
    const ready = nextMessage(worker, "console:ready");
    send(worker, { type: "console:start", commet: handover, port });
    await ready;
  };

  const shutdown = async (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            const kill = setTimeout(() => worker.kill("SIGKILL"), SHUTDOWN_GRACE_MS);
            worker.once("exit", () => {
              clearTimeout(kill);
              resolve();
            });
            send(worker, { type: "console:shutdown" });
          }),
      ),
    );
    await options.onShutdown?.();
    await stopCommet?.();
    process.exit(code);
  };
  process.once("SIGINT", () => void shutdown(0));
  process.once("SIGTERM", () => void shutdown(0));

  try {
    // The first worker binds the port (the embedded sandbox sends its webhooks there) and starts alone: it runs
    // the migrations and creates the first-run accounts. Then the others start at once and listen when ready.
    // All are forked at once (loading the build is most of a worker's start), then ordered one by one.
    const forked = Array.from({ length: options.workers }, fork);
    const first = forked[0]!;
    await first.waiting;
    const listening = nextMessage(first.worker, "console:listening");
    first.waiting = handled(nextMessage(first.worker, "console:waiting")); // it waits for its next order after binding
    send(first.worker, { type: "console:bind" });
    port = (await listening).port;
    const connected = await options.connect(port);
    stopCommet = connected.stop;
    commet = connected.commet;
    await start(first, commet);
    await Promise.all(forked.slice(1).map((worker) => start(worker, connected.commet)));
    options.ready(port, commet);
  } catch (error) {
    options.log(`start failed: ${error instanceof Error ? error.message : String(error)}`);
    await shutdown(1);
    return;
  }

  // A worker that dies is replaced; one that keeps dying right after its start is replaced ever more slowly.
  let delayMs = 1_000;
  cluster.on("exit", (worker, code, signal) => {
    if (shuttingDown) return;
    const lived = Date.now() - (forkedAt.get(worker.id) ?? 0);
    forkedAt.delete(worker.id);
    delayMs = lived < 30_000 ? Math.min(delayMs * 2, 30_000) : 1_000;
    options.log(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another in ${delayMs} ms`);
    setTimeout(() => {
      if (shuttingDown) return;
      const next = fork();
      start(next, commet!)
        .then(() => options.log(`worker ${next.worker.process.pid} serving`))
        .catch((error: unknown) =>
          options.log(`restart failed: ${error instanceof Error ? error.message : String(error)}`),
        );
    }, delayMs);
  });
}
