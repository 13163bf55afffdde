/**
 * `npm run sandbox` (docs/decisions/0003-local-sandbox.md). Flags win over env: --port (SANDBOX_PORT, 4010), --host
 * (SANDBOX_HOST, 127.0.0.1), --data-dir (SANDBOX_DATA_DIR, ./data/sandbox), --api-key (SANDBOX_API_KEY), --reset,
 * --customers N, --faults <json> (SANDBOX_FAULTS); webhooks from SANDBOX_WEBHOOK_URL / SANDBOX_WEBHOOK_SECRET.
 */

import { parseArgs } from "node:util";
import { z } from "zod";
import { faultRulesSchema } from "./faults.ts";
import { DEFAULT_API_KEY, DEFAULT_SEED_CUSTOMERS, startSandbox } from "./server.ts";

const configSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  dataDir: z.string().min(1),
  apiKey: z.string().min(1),
  reset: z.boolean(),
  customers: z.coerce.number().int().min(0).max(1_000_000),
  webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
  webhookSecret: z.string().min(1).optional(),
  faults: z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "not valid JSON" });
        return z.NEVER;
      }
    })
    .pipe(faultRulesSchema)
    .optional(),
});

function fail(message: string): never {
  process.stderr.write(`sandbox: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: "string" },
        host: { type: "string" },
        "data-dir": { type: "string" },
        "api-key": { type: "string" },
        reset: { type: "boolean" },
        customers: { type: "string" },
        faults: { type: "string" },
        quiet: { type: "boolean" },
      },
      strict: true,
    }));
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
  const env = process.env;
  const emptyToUndefined = (v: string | undefined) => (v === undefined || v === "" ? undefined : v);
  const parsed = configSchema.safeParse({
    port: values.port ?? emptyToUndefined(env.SANDBOX_PORT) ?? "4010",
    host: values.host ?? emptyToUndefined(env.SANDBOX_HOST) ?? "127.0.0.1",
    dataDir: values["data-dir"] ?? emptyToUndefined(env.SANDBOX_DATA_DIR) ?? "./data/sandbox",
    apiKey: values["api-key"] ?? emptyToUndefined(env.SANDBOX_API_KEY) ?? DEFAULT_API_KEY,
    reset: values.reset === true,
    customers: values.customers ?? emptyToUndefined(env.SANDBOX_CUSTOMERS) ?? String(DEFAULT_SEED_CUSTOMERS),
    webhookUrl: emptyToUndefined(env.SANDBOX_WEBHOOK_URL),
    webhookSecret: emptyToUndefined(env.SANDBOX_WEBHOOK_SECRET),
    faults: values.faults ?? emptyToUndefined(env.SANDBOX_FAULTS),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    fail(`invalid ${String(issue.path[0] ?? "option")}: ${issue.message}`);
  }
  const c = parsed.data;
  const running = await startSandbox({
    port: c.port,
    host: c.host,
    dataDir: c.dataDir,
    apiKey: c.apiKey,
    reset: c.reset,
    seed: { customers: c.customers },
    ...(c.webhookUrl ? { webhookUrl: c.webhookUrl } : {}),
    ...(c.webhookSecret ? { webhookSecret: c.webhookSecret } : {}),
    ...(c.faults ? { faults: c.faults } : {}),
    quiet: values.quiet === true,
  });
  process.stdout.write(`sandbox listening on ${running.url}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
