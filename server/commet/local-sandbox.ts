/**
 * Runs the local Commet sandbox (server/sandbox/cli.ts) as a child process when no COMMET_API_KEY is set; the
 * console never imports the sandbox, it talks to it over HTTP (docs/decisions/0003-local-sandbox.md).
 */

import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { PROJECT_ROOT } from "../project-root.ts";
import { spawnUntilReady, type ReadyChild } from "./child-process.ts";

export const SANDBOX_CLI = path.join(PROJECT_ROOT, "server/sandbox/cli.ts");
/** tsx's ESM loader, for `node --import <it> file.ts` (one process, unlike the tsx CLI which forks). */
export const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const READY_LINE = /^sandbox listening on (https?:\/\/\S+)\s*$/;

export type SandboxCredentials = { apiKey: string; webhookSecret: string };

/**
 * The sandbox key and webhook secret of this installation, generated on first
 * run and kept in `$DATA_DIR/sandbox-credentials.json` (mode 0600), so the
 * sandbox's data and the console agree across restarts.
 */
export function loadSandboxCredentials(dataDir: string): SandboxCredentials {
  const file = path.join(dataDir, "sandbox-credentials.json");
  if (fs.existsSync(file)) {
    const saved = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<SandboxCredentials>;
    if (saved.apiKey?.startsWith("ck_") && saved.webhookSecret?.startsWith("whsec_")) {
      return { apiKey: saved.apiKey, webhookSecret: saved.webhookSecret };
    }
  }
  const credentials = {
    apiKey: `ck_local_${randomBytes(16).toString("hex")}`,
    webhookSecret: `whsec_${randomBytes(24).toString("base64url")}`,
  };
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return credentials;
}

export type SandboxProcessOptions = {
  dataDir: string;
  apiKey: string;
  port?: number;
  reset?: boolean;
  customers?: number;
  webhookUrl?: string;
  webhookSecret?: string;
  /** Where the child's other output lines go (default: this process's stderr, prefixed). */
  log?: (line: string) => void;
  readyTimeoutMs?: number;
};

export type SandboxProcess = ReadyChild;

/**
 * How to run the sandbox CLI under tsx with this very Node binary (so the PID is the sandbox's). Secrets travel in
 * the child's environment, never in its arguments: anyone on the machine can read arguments with `ps`.
 */
export function sandboxCommand(options: SandboxProcessOptions): {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
} {
  const args = ["--import", TSX_LOADER, SANDBOX_CLI, "--port", String(options.port ?? 0)];
  args.push("--data-dir", options.dataDir);
  if (options.reset) args.push("--reset");
  if (options.customers !== undefined) args.push("--customers", String(options.customers));
  const env: NodeJS.ProcessEnv = { ...process.env, SANDBOX_API_KEY: options.apiKey };
  if (options.webhookUrl) env.SANDBOX_WEBHOOK_URL = options.webhookUrl;
  if (options.webhookSecret) env.SANDBOX_WEBHOOK_SECRET = options.webhookSecret;
  return { command: process.execPath, args, env };
}

/** Starts the sandbox and resolves once it prints its "sandbox listening on URL" line. */
export async function spawnSandbox(options: SandboxProcessOptions): Promise<SandboxProcess> {
  const { command, args, env } = sandboxCommand(options);
  const sandbox = await spawnUntilReady({
    name: "the sandbox",
    command,
    args,
    cwd: PROJECT_ROOT,
    env,
    ready: READY_LINE,
    timeoutMs: options.readyTimeoutMs ?? 90_000,
    log: options.log ?? ((line: string) => process.stderr.write(`${line}\n`)),
  });
  return { ...sandbox, url: new URL(sandbox.url).origin };
}
