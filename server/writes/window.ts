/**
 * Commet's idempotency window and the console's margins inside it (docs/decisions/0016): a key is
 * remembered 24 h, so a re-send is safe only well before then — after it, a write that had landed
 * could be applied a second time.
 */

/** Commet keeps a key's answer this long (docs: "safely retry this write for 24 hours"). */
export const COMMET_IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * No re-send — by the resolver or by a person's "check again" — once the audit row is this old. The row
 * is written before the first send, so its age over-counts the key's; the 2 h margin covers clock skew
 * between the console and Commet and a slow send.
 */
export const RESEND_CUTOFF_MS = 22 * 60 * 60 * 1000;

/** True while the stored request of a row begun at `createdAt` may still be re-sent with its key. */
export function mayResend(createdAt: number, now: number): boolean {
  return now - createdAt < RESEND_CUTOFF_MS;
}
