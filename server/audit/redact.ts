/**
 * Secrets never enter the audit trail. `redact` is applied to every parameter object and every
 * error message before it is stored:
 * - keys that name a secret or a link (url, portalUrl, password, apiKey, secret, token, cookie,
 *   authorization, signature, credential, …) keep their key but lose their value;
 * - string values lose anything that looks like an API key / signing secret (ck_…, sk_…, whsec_…),
 *   any http(s) URL (portal links carry tokens in their path) and bearer tokens.
 */
export const REDACTED = "[redacted]";

const SECRET_KEY =
  /(url|uri|href|link|password|passwd|passphrase|secret|token|api[_-]?key|authorization|cookie|signature|credential|private[_-]?key)/i;

const SECRET_VALUE_PATTERNS: RegExp[] = [
  /\b(?:ck|sk|pk|rk|whsec)_[A-Za-z0-9_-]{4,}/g,
  /\bhttps?:\/\/[^\s"'<>]+/gi,
  /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi,
];

const MAX_DEPTH = 8;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Replaces every secret-looking substring of a string. */
export function redactText(text: string): string {
  return SECRET_VALUE_PATTERNS.reduce((out, pattern) => out.replace(pattern, REDACTED), text);
}

/** A redacted, JSON-safe deep copy of `value`. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (value === null || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== "object") return undefined; // functions, symbols, undefined
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1) ?? null);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (isSecretKey(key)) {
      out[key] = REDACTED;
      continue;
    }
    const r = redact(v, depth + 1);
    if (r !== undefined) out[key] = r;
  }
  return out;
}

/** `redact` for a parameter object (always returns an object). */
export function redactParams(params: Record<string, unknown> | undefined): Record<string, unknown> {
  const r = redact(params ?? {});
  return r && typeof r === "object" && !Array.isArray(r) ? (r as Record<string, unknown>) : {};
}
