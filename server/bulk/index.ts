/**
 * server/bulk — bulk seat changes and manual usage from one CSV file, exactly once
 * (docs/decisions/0028-bulk-changes.md). Contract: app/contracts/bulk.ts. Permission: bulk:apply.
 */
import type {
  BulkActionResult,
  BulkBatchSummary,
  BulkBatchView,
  BulkCsvKind,
  BulkIntent,
  BulkKind,
  BulkProgress,
  BulkRowQuery,
  BulkUploadResult,
} from "../../app/contracts/bulk.ts";
import { getReadyDb } from "../db/index.ts";
import { startPeriodic } from "../periodic.ts";
import { writeEngineFor } from "../writes/index.ts";
import { installBatchHooks } from "./approval.ts";
import { createBulk, type Bulk, type BulkStaff } from "./service.ts";

export { createBulk, type Bulk, type BulkDeps, type BulkStaff } from "./service.ts";
export { parseBulkFile, detectDelimiter, fileHash, type ParsedFile, type ParsedRow } from "./parse.ts";
export { validateRows, rowKey, type RowChange } from "./validate.ts";

let processInstance: Promise<Bulk> | undefined;
let log: (line: string) => void = (line) => console.log(`[bulk] ${line}`);

/** The process's bulk domain: its database and its write engine (the approvals gate, the resolver queue). */
function processBulk(): Promise<Bulk> {
  processInstance ??= getReadyDb().then(
    (database) => createBulk({ database, engine: writeEngineFor(), log: (line) => log(line) }),
    (error: unknown) => {
      processInstance = undefined;
      throw error;
    },
  );
  return processInstance;
}

// An approval decided in this process starts the batch here even before any bulk page was opened in it
// (the process's instance installs the same hooks once it exists).
installBatchHooks({
  start: async (batchId, validatedAt) => (await processBulk()).start(batchId, validatedAt),
  preview: async (batchId, validatedAt) => (await processBulk()).preview(batchId, validatedAt),
});

/** Parses, validates against Commet (bounded parallel reads) and stores a file; the batch opens as its dry run. */
export async function uploadBulkFile(
  staff: BulkStaff,
  input: { kind: BulkKind; fileName: string; content: string },
): Promise<BulkUploadResult> {
  return (await processBulk()).upload(staff, input);
}

/** The newest 50 batches (/bulk). */
export async function listBulkBatches(): Promise<BulkBatchSummary[]> {
  return (await processBulk()).list();
}

/** A batch with one filtered page of its rows; null: no such batch. Reads only the console's database. */
export async function loadBulkBatch(
  batchId: string,
  query: BulkRowQuery,
  staff: BulkStaff,
): Promise<BulkBatchView | null> {
  return (await processBulk()).load(batchId, query, staff);
}

export async function bulkBatchProgress(batchId: string): Promise<BulkProgress | null> {
  return (await processBulk()).progress(batchId);
}

/** exclude_invalid · revalidate · apply (one approval request when the policy asks) · pause · resume · cancel. */
export async function actOnBulkBatch(staff: BulkStaff, batchId: string, intent: BulkIntent): Promise<BulkActionResult> {
  return (await processBulk()).act(staff, batchId, intent);
}

/** The result CSV (line, customer, customer_id, outcome, commet_id, message, key) or the errors CSV; audited. */
export async function bulkBatchCsv(
  staff: BulkStaff,
  batchId: string,
  which: BulkCsvKind,
): Promise<{ fileName: string; body: string } | null> {
  return (await processBulk()).csv(staff, batchId, which);
}

/**
 * A console start-up task: resumes the batches a stopped process left applying (at once, then every
 * interval, once their runner's lease has run out) and makes this process able to run approved batches.
 */
export async function startBulkRunner(options: {
  intervalMs: number;
  log: (line: string) => void;
}): Promise<() => Promise<void>> {
  log = options.log;
  const bulk = await processBulk();
  return startPeriodic(
    async () => {
      const resumed = await bulk.resumeUnfinished();
      if (resumed.length) options.log(`resuming ${resumed.join(", ")}`);
      return options.intervalMs;
    },
    {
      initialDelayMs: 0,
      onError: (error) => {
        options.log(`resume failed: ${String(error)}`);
        return options.intervalMs;
      },
    },
  );
}
