/**
 * Runs a child process that announces readiness with one stdout line (the sandbox's or the console's
 * "listening on URL") and resolves with that URL; the other lines go to a log.
 */

import { spawn, type ChildProcess } from "node:child_process";
import readline from "node:readline";

export type ReadyChild = {
  url: string;
  /** The line that said it was ready (it may name more than the URL). */
  readyLine: string;
  child: ChildProcess;
  output: string[];
  stop(): Promise<void>;
};

export type ReadyChildOptions = {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Matches the readiness line; its first group is the URL. */
  ready: RegExp;
  timeoutMs: number;
  log?: (line: string) => void;
};

/** SIGTERM, then SIGKILL if the child has not exited after 5 s. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export function spawnUntilReady(options: ReadyChildOptions): Promise<ReadyChild> {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const stop = () => stopChild(child);
  let ready = false;

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(
        new Error(
          `${options.name} did not become ready within ${options.timeoutMs} ms: ${output.slice(-5).join(" | ")}`,
        ),
      );
    }, options.timeoutMs);
    const onLine = (line: string) => {
      const match = ready ? null : options.ready.exec(line);
      if (match?.[1]) {
        ready = true;
        clearTimeout(timer);
        resolve({ url: match[1], readyLine: line, child, output, stop });
        return;
      }
      output.push(line);
      if (output.length > 200) output.shift();
      options.log?.(line);
    };
    readline.createInterface({ input: child.stdout! }).on("line", onLine);
    readline.createInterface({ input: child.stderr! }).on("line", onLine);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code, signal) => {
      if (ready) return;
      clearTimeout(timer);
      reject(
        new Error(
          `${options.name} exited (${signal ?? `code ${code}`}) before it was ready: ${output.slice(-5).join(" | ")}`,
        ),
      );
    });
  });
}
