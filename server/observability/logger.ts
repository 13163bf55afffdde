/**
 * The process's structured logger (pino): JSON lines on stdout in production, pino-pretty's readable lines in
 * development; every line written while handling a request carries its `requestId`.
 */
import pino, { type DestinationStream, type Level, type Logger } from "pino";
import pretty from "pino-pretty";
import { currentRequestContext } from "./request-context.ts";

export type { Logger } from "pino";
export type LogLevel = Level | "silent";
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export type LoggingOptions = {
  level: LogLevel;
  /** Readable coloured lines (development) instead of JSON. */
  pretty: boolean;
  /** Where lines go (default stdout); tests pass a stream they read back. */
  destination?: DestinationStream;
};

function createRoot(options: LoggingOptions): Logger {
  const destination =
    options.destination ??
    (options.pretty
      ? pretty({ colorize: true, sync: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" })
      : pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Error objects under `err` keep their stack; nothing else is serialized specially.
      serializers: { err: pino.stdSerializers.err },
      mixin: () => {
        const context = currentRequestContext();
        return context ? { requestId: context.requestId } : {};
      },
    },
    destination,
  );
}

// Until the console configures it (server/console.ts, from LOG_LEVEL): info, JSON; quiet under the test runner.
let root = createRoot({ level: process.env.VITEST ? "warn" : "info", pretty: false });
const children = new Map<string, Logger>();

/** Replaces the process's logger (start-up, from the environment; tests with their own destination). */
export function configureLogging(options: LoggingOptions): void {
  root = createRoot(options);
  children.clear();
}

/**
 * The logger of one part of the console (`directory`, `webhooks`, `http`, …): its lines carry
 * `component`. Ask for it when logging, not at import, so a later `configureLogging` applies.
 */
export function logger(component: string): Logger {
  let child = children.get(component);
  if (!child) {
    child = root.child({ component });
    children.set(component, child);
  }
  return child;
}

/** Adapter for the `log: (line) => void` options of background tasks: each line becomes an info record. */
export function lineLogger(component: string): (line: string) => void {
  return (line) => logger(component).info(line);
}
