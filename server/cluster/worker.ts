// A worker's side of the cluster's IPC channel (the primary is server/cluster/primary.ts).
import type { PrimaryMessage, WorkerMessage } from "./messages.ts";

export function tellPrimary(message: WorkerMessage): void {
  process.send?.(message);
}

/** The primary's next order about starting: bind the port first, or start (with where Commet is). */
export function nextOrderFromPrimary(): Promise<Exclude<PrimaryMessage, { type: "console:shutdown" }>> {
  return new Promise((resolve) => {
    const onMessage = (message: PrimaryMessage) => {
      if (message?.type !== "console:bind" && message?.type !== "console:start") return;
      process.off("message", onMessage);
      resolve(message);
    };
    process.on("message", onMessage);
    tellPrimary({ type: "console:waiting" });
  });
}

/** Calls `stop` when the primary asks, or when it is gone (its channel closed). */
export function onPrimaryShutdown(stop: () => void): void {
  process.on("message", (message: PrimaryMessage) => {
    if (message?.type === "console:shutdown") stop();
  });
  process.once("disconnect", stop);
  // Ctrl-C reaches the whole process group: the primary orders the stop, so the worker ignores SIGINT itself.
  process.on("SIGINT", () => {});
}
