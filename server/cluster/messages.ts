// What the primary and its workers tell each other over the cluster's IPC channel.
import type { CommetConnection } from "../commet/index.ts";

/** Where Commet is, decided once by the primary (it starts the embedded sandbox) and handed to every worker. */
export type CommetHandover = {
  connection: CommetConnection;
  webhookSecret: string | undefined;
  /** For the "listening" line: commet.co, COMMET_API_URL or "embedded sandbox at …". */
  target: string;
};

/** `waiting`: the worker listens for orders (messages sent before that could be lost). */
export type WorkerMessage =
  { type: "console:waiting" } | { type: "console:listening"; port: number } | { type: "console:ready" };
/**
 * `bind`: listen now (answering 503 "starting") and say on which port — only the first worker, whose port the
 * embedded sandbox needs; `start`: run the start-up and serve on `port` (the shared one: with PORT=0, the first worker's), listening
 * once ready if not yet listening.
 */
export type PrimaryMessage =
  | { type: "console:bind" }
  | { type: "console:start"; commet: CommetHandover; port: number }
  | { type: "console:shutdown" };
