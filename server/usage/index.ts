/**
 * server/usage — manual usage writes (ops, admin), exactly once through server/writes
 * (docs/decisions/0007-exactly-once-writes.md), and the usage timeline (./timeline).
 * Form schemas: app/contracts/ops-forms.ts; results: app/contracts/ops-results.ts. Permission: usage:write.
 */
import "./approval.ts";

export { loadUsagePanel, recordManualUsage, setPeriodUsage, type UsageWriteInput } from "./manual.ts";
export { submitManualUsage, timelineEntry, type ManualUsageIntent } from "./submit.ts";
// For writes made elsewhere (server/bulk): the declared action of one usage event.
export { usageRecordWrite } from "./write-actions.ts";
