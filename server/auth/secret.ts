// The secret that signs session cookies: from SESSION_SECRET, or generated once per install in sandbox mode.

import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const MIN_SECRET_LENGTH = 32;
export const SECRET_FILE = "session-secret";

/**
 * The secret that signs session cookies.
 * - SESSION_SECRET (≥ 32 characters) when set — required in live mode, where several instances
 *   must agree on it;
 * - otherwise (embedded/sandbox mode) a random per-install secret, generated once and kept in
 *   `$DATA_DIR/session-secret` with mode 0600.
 */
export function loadSessionSecret(options: { secret?: string; dataDir: string; mode: "sandbox" | "live" }): string {
  const given = options.secret?.trim();
  if (given) {
    if (given.length < MIN_SECRET_LENGTH)
      throw new Error(`SESSION_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
    return given;
  }
  if (options.mode === "live") {
    throw new Error(`SESSION_SECRET is required when COMMET_API_KEY is set (at least ${MIN_SECRET_LENGTH} characters)`);
  }
  const file = join(options.dataDir, SECRET_FILE);
  try {
    const existing = readFileSync(file, "utf8").trim();
    if (existing.length >= MIN_SECRET_LENGTH) return existing;
    throw new Error(
      `${file} holds a secret shorter than ${MIN_SECRET_LENGTH} characters; delete it to generate a new one`,
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  mkdirSync(options.dataDir, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    // another process created it first: use theirs
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return readFileSync(file, "utf8").trim();
    throw error;
  }
  chmodSync(file, 0o600);
  return secret;
}
