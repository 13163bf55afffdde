/**
 * server/seats — seat changes (ops, admin), exactly once (docs/decisions/0007-exactly-once-writes.md).
 * Form schema: app/contracts/ops-forms.ts; results: app/contracts/ops-results.ts. Permission: seats:write.
 */
import "./approval.ts";

export { applySeatChange, previewSeatChange, type SeatChangeInput } from "./apply.ts";
export { loadSeatPanel } from "./panel.ts";
// For writes made elsewhere (server/bulk): the declared action, its calls, and the checks' building blocks.
export { readSeatCount, seatTypesOf } from "./check.ts";
export { describeSeatChange } from "./describe.ts";
export { SEAT_CALL, seatChangeWrite } from "./write-action.ts";
