/**
 * server/seats — seat changes (ops, admin), exactly once (docs/decisions/0007-exactly-once-writes.md).
 *
 * Surface (client-safe form schema in app/lib/ops-forms.ts: seatChangeFormSchema, SEAT_REASONS,
 * SEAT_OPS, isLargeSeatChange, newIdempotencyKey("seats")):
 *   loadSeatPanel(customerId, engine?) → SeatPanel | null
 *       per seat type of the plan: current count, included, extra-seat price; period; livemode
 *   previewSeatChange({ customer, seatType, op, quantity, seenCount, plan, subscription, now }) → SeatPreview
 *       pure: effect sentence ("Editor seats 5 → 8; prorated charge for the 14 days left ≈ $35.00",
 *       removals "take effect at the end of the period (…), no refund"), new count, charge estimate,
 *       needsEmailConfirmation (±50 % or > 20 seats), livemode (show the LIVE banner), valid/problem
 *   applySeatChange({ actor, role, form }, engine?) → SeatChangeResult = WriteResult | StaleSeatCount
 *       form: customerId, seatType, op (set|add|remove), quantity, seenCount, reasonCode, reasonText?,
 *       idempotencyKey (generated at render), confirmEmail? (large changes)
 *       → reused key: answered from the audit trail, Commet not called again
 *       → re-reads the balance: changed → { kind: "stale", seen, current, message:
 *         "Editor seats changed from 5 to 6 since you opened this page" }, nothing sent
 *       → pending audit row → seats.add/set/remove with Idempotency-Key = key → finalize
 *   resolvePendingWrite(auditId, { actor, role }) → "check again" for a pending seat change
 * WriteResult kinds are documented in server/usage/index.ts. Permission: "seats:write" (ops, admin).
 */
export {
  applySeatChange,
  loadSeatPanel,
  readSeatCount,
  seatTypesOf,
  type SeatChangeInput,
  type SeatChangeResult,
  type SeatPanel,
  type StaleSeatCount,
} from "./apply.ts";
export { previewSeatChange, type SeatPreview, type SeatPreviewInput } from "./preview.ts";
export { resolvePendingWrite, type WriteResult } from "../usage/exactly-once.ts";
