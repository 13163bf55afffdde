/**
 * The part of the environment the data layer needs: server/env.ts owns the whole schema; this small parse lets
 * the data layer (and `npm run db:migrate`) run without booting the app.
 */

import { join } from "node:path";
import { z } from "zod";

const dbEnvSchema = z.object({
  DATA_DIR: z.string().min(1).default("./data"),
  DATABASE_URL: z
    .string()
    .optional()
    .transform((v) => (v?.trim() ? v.trim() : undefined)),
});

export interface DbConfig {
  dataDir: string;
  /** postgres://… or a SQLite path (`$DATA_DIR/console.sqlite` when DATABASE_URL is unset). */
  databaseUrl: string;
}

export function readDbConfig(env: Record<string, string | undefined> = process.env): DbConfig {
  const parsed = dbEnvSchema.safeParse(env);
  if (!parsed.success) {
    const fields = Object.keys(z.flattenError(parsed.error).fieldErrors).join(", ");
    throw new Error(`Invalid database environment: ${fields}`);
  }
  const { DATA_DIR, DATABASE_URL } = parsed.data;
  return { dataDir: DATA_DIR, databaseUrl: DATABASE_URL ?? join(DATA_DIR, "console.sqlite") };
}
