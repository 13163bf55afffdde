// The sandbox's ids (random, or seeded for the demo data) and opaque pagination cursors.

import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// Random bytes are drawn 8 KiB at a time: one syscall per ~400 ids instead of one per id (hot path).
let pool = randomBytes(8192);
let offset = 0;

/** A random id like `cus_3fK9…` (runtime objects). */
export function newId(prefix: string, length = 20): string {
  if (offset + length > pool.length) {
    pool = randomBytes(8192);
    offset = 0;
  }
  let out = `${prefix}_`;
  for (let i = 0; i < length; i++) out += ALPHABET[pool[offset + i]! % 62];
  offset += length;
  return out;
}

/** Deterministic id from a PRNG draw function (seed data). */
export function seededId(prefix: string, next: () => number, length = 20): string {
  let out = `${prefix}_`;
  // One 32-bit draw yields 5 base62 digits (62^5 < 2^32).
  for (let i = 0; i < length; i += 5) {
    let x = Math.floor(next() * 916_132_832);
    for (let k = 0; k < 5 && i + k < length; k++) {
      out += ALPHABET[x % 62];
      x = Math.floor(x / 62);
    }
  }
  return out;
}

/** Opaque pagination cursors: base64url of the last row's sequence number. */
export function encodeCursor(seq: number): string {
  return Buffer.from(`s:${seq}`).toString("base64url");
}

export function decodeCursor(cursor: string): number | null {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const m = /^s:(\d+)$/.exec(text);
  return m ? Number(m[1]) : null;
}
