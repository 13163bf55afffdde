/**
 * Bulk changes from one CSV file (/bulk): the file's columns and templates, the context-free row schemas,
 * the route inputs, and the views and answers the batch screens render. Client-safe; server/bulk fills them.
 */
import { z } from "zod";
import {
  MAX_REASON_LENGTH,
  MAX_SEATS,
  MAX_USAGE_QUANTITY,
  SEAT_OPS,
  idempotencyKeySchema,
  plainText,
} from "./ops-forms.ts";

// ---------------------------------------------------------------- bounds and kinds

export const BULK_KINDS = ["seats", "usage"] as const;
export type BulkKind = (typeof BULK_KINDS)[number];
export const BULK_KIND_LABELS: Record<BulkKind, string> = { seats: "Seat changes", usage: "Manual usage" };

/** Data rows of one file (the header excluded). */
export const MAX_BULK_ROWS = 10_000;
/** A 10,000-row file is ≈ 1.5 MB; anything much larger is not one of ours. */
export const MAX_BULK_FILE_BYTES = 5 * 1024 * 1024;
/** Rows per page of the batch screen. */
export const BULK_PAGE_SIZE = 100;

// ---------------------------------------------------------------- columns and templates

/**
 * The columns of each kind, in template order. Headers match case-insensitively, spaces and dashes read
 * as underscores ("Seat type" = seat_type); extra columns are refused (a typo would otherwise be ignored).
 */
export const BULK_COLUMNS = {
  seats: ["customer", "seat_type", "operation", "quantity", "reason"],
  usage: ["customer", "feature", "quantity", "event_time", "reason", "key"],
} as const satisfies Record<BulkKind, readonly string[]>;
/** Columns that may be left out of the header entirely. */
export const BULK_OPTIONAL_COLUMNS: Record<BulkKind, readonly string[]> = { seats: [], usage: ["event_time", "key"] };

export type BulkColumn<K extends BulkKind = BulkKind> = (typeof BULK_COLUMNS)[K][number];

/** A header cell as the parser compares it. */
export function normalizeBulkHeader(cell: string): string {
  return cell
    .replace(/^\uFEFF/, "")
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "_");
}

const TEMPLATE_ROWS: Record<BulkKind, string[][]> = {
  seats: [
    ["cus_0001", "editor", "set", "8", "Renewal 2027: 8 editor seats"],
    ["acme-corp", "viewer", "add", "3", "Sales agreement SO-1182"],
    ["billing@example.com", "editor", "remove", "1", "Customer request, ticket 4812"],
  ],
  usage: [
    ["cus_0001", "api_calls", "1200", "2026-11-03T10:00:00Z", "Events missed by the integration", ""],
    ["acme-corp", "storage_gb", "2.5", "", "Offline usage, ticket 4812", "ticket-4812-storage"],
  ],
};

/**
 * The downloadable template of a kind: the header and example rows (customer as Commet id, external id or
 * email; seats: operation set | add | remove; usage: event_time ISO 8601, empty = now; key optional).
 */
export function bulkTemplateCsv(kind: BulkKind): string {
  const lines = [[...BULK_COLUMNS[kind]], ...TEMPLATE_ROWS[kind]];
  const quote = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
  return lines.map((cells) => cells.map(quote).join(",")).join("\r\n") + "\r\n";
}

export const bulkTemplateFileName = (kind: BulkKind) => `bulk-${kind}-template.csv`;

// ---------------------------------------------------------------- rows (context-free checks)

const cell = (label: string, max: number) => plainText(max, label).refine((s) => s.length > 0, `${label} is missing`);

function decimalCell(label: string, options: { decimals: boolean; max: number; zero: boolean }) {
  return z.string().transform((raw, ctx) => {
    const text = raw.trim().replace(/[\s_]/g, "");
    if (text === "") {
      ctx.addIssue({ code: "custom", message: `${label} is missing` });
      return z.NEVER;
    }
    // One notation only: 1200, 1,200 (thousands) or 2.5 — a spreadsheet's "2,5" is refused, not guessed.
    if (!/^(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$/.test(text)) {
      ctx.addIssue({ code: "custom", message: `${label} must be a number (e.g. 1200 or 2.5)` });
      return z.NEVER;
    }
    const value = Number(text.replace(/,/g, ""));
    if (!options.decimals && !Number.isInteger(value)) {
      ctx.addIssue({ code: "custom", message: `${label} must be a whole number` });
      return z.NEVER;
    }
    if (!options.zero && value === 0) {
      ctx.addIssue({ code: "custom", message: `${label} must be greater than 0` });
      return z.NEVER;
    }
    if (value > options.max) {
      ctx.addIssue({ code: "custom", message: `${label} must be at most ${options.max.toLocaleString("en-US")}` });
      return z.NEVER;
    }
    return value;
  });
}

/** A seat-change row as written (customer not yet resolved). */
export const bulkSeatRowSchema = z
  .object({
    customer: cell("Customer", 320),
    seat_type: cell("Seat type", 100),
    operation: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(SEAT_OPS, { error: "Operation must be set, add or remove" })),
    quantity: decimalCell("Quantity", { decimals: false, max: MAX_SEATS, zero: true }),
    reason: cell("Reason", MAX_REASON_LENGTH),
  })
  .superRefine((row, ctx) => {
    if (row.operation !== "set" && row.quantity === 0)
      ctx.addIssue({ code: "custom", path: ["quantity"], message: "Quantity must be greater than 0" });
  });
export type BulkSeatRow = z.infer<typeof bulkSeatRowSchema>;

/** A usage row as written. event_time: ISO 8601 (no zone = UTC), empty = the time of apply. */
export const bulkUsageRowSchema = z.object({
  customer: cell("Customer", 320),
  feature: cell("Feature", 100),
  quantity: decimalCell("Quantity", { decimals: true, max: MAX_USAGE_QUANTITY, zero: false }),
  event_time: plainText(40, "Event time").optional().default(""),
  reason: cell("Reason", MAX_REASON_LENGTH),
  key: z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), idempotencyKeySchema.optional()),
});
export type BulkUsageRow = z.infer<typeof bulkUsageRowSchema>;

// ---------------------------------------------------------------- route inputs

/** Batch ids as server/bulk makes them. */
export const bulkBatchIdSchema = z.string().regex(/^bulk_[0-9a-f]{32}$/, "No such batch");

/** The upload form's fields besides the file (`file`, read by the route as text). */
export const bulkUploadFieldsSchema = z.object({
  kind: z.enum(BULK_KINDS, { error: "Choose seat changes or manual usage" }),
});

export const BULK_ROW_FILTERS = ["all", "invalid", "to_apply", "applied", "problems"] as const;
export type BulkRowFilter = (typeof BULK_ROW_FILTERS)[number];
export const BULK_ROW_FILTER_LABELS: Record<BulkRowFilter, string> = {
  all: "All rows",
  invalid: "Invalid",
  to_apply: "Not applied yet",
  applied: "Applied",
  problems: "Refused / failed / unknown",
};

/** The batch page's search params (?filter=&page=). */
export const bulkRowQuerySchema = z.object({
  filter: z.enum(BULK_ROW_FILTERS).catch("all").default("all"),
  page: z.coerce.number().int().min(1).catch(1).default(1),
});
export type BulkRowQuery = z.infer<typeof bulkRowQuerySchema>;

/**
 * The batch page's actions: exclude_invalid (apply only the valid rows; the invalid ones are kept as
 * excluded), revalidate (a fresh dry run against Commet), apply (start, or ask for approval), pause,
 * resume, cancel (rows not started are skipped).
 */
export const BULK_INTENTS = ["exclude_invalid", "revalidate", "apply", "pause", "resume", "cancel"] as const;
export type BulkIntent = (typeof BULK_INTENTS)[number];
export const bulkIntentSchema = z.object({ intent: z.enum(BULK_INTENTS, { error: "Unknown action" }) });

export const BULK_CSV_KINDS = ["result", "errors"] as const;
export type BulkCsvKind = (typeof BULK_CSV_KINDS)[number];

// ---------------------------------------------------------------- views

/**
 * invalid  — some included rows are invalid: nothing can be applied (upload a fixed file or exclude them)
 * ready    — every included row is valid: the dry run is shown, Apply may start
 * awaiting_approval — the batch waits as ONE approval request (docs/decisions/0017-four-eyes-approvals.md)
 * applying / paused — rows are being written (paused: the runner stops after the rows in flight)
 * cancelled — stopped by staff; rows not started were skipped
 * rejected  — the approval was rejected or expired; nothing was sent
 * completed — every row has a final outcome
 */
export const BULK_BATCH_STATUSES = [
  "invalid",
  "ready",
  "awaiting_approval",
  "applying",
  "paused",
  "cancelled",
  "rejected",
  "completed",
] as const;
export type BulkBatchStatus = (typeof BULK_BATCH_STATUSES)[number];
export const BULK_BATCH_STATUS_LABELS: Record<BulkBatchStatus, string> = {
  invalid: "Has invalid rows",
  ready: "Dry run — ready to apply",
  awaiting_approval: "Awaiting approval",
  applying: "Applying",
  paused: "Paused",
  cancelled: "Cancelled",
  rejected: "Approval rejected",
  completed: "Completed",
};

/**
 * invalid   — failed validation (errors say why); excluded — invalid and excluded by staff
 * ready     — valid, not written yet; skipped — the batch was cancelled before this row ran
 * applied   — Commet applied it (or had applied it under this row's key before: never twice)
 * refused   — checked again at apply and refused before sending (seat count changed since the dry run, …)
 * failed    — Commet refused it; unknown — sent, outcome unknown: the write resolver settles it with its key
 */
export const BULK_ROW_STATUSES = [
  "invalid",
  "excluded",
  "ready",
  "skipped",
  "applied",
  "refused",
  "failed",
  "unknown",
] as const;
export type BulkRowStatus = (typeof BULK_ROW_STATUSES)[number];
export const BULK_ROW_STATUS_LABELS: Record<BulkRowStatus, string> = {
  invalid: "Invalid",
  excluded: "Excluded",
  ready: "To apply",
  skipped: "Skipped",
  applied: "Applied",
  refused: "Refused",
  failed: "Failed",
  unknown: "Outcome unknown",
};

export interface BulkRowError {
  /** The column the error is about (a BulkColumn), null for the row as a whole (duplicate, unknown customer…). */
  column: string | null;
  message: string;
}

/** The dry run of one valid row. */
export type BulkRowEffect =
  | {
      kind: "seats";
      seatType: string;
      /** The seat type's name on the plan ("Editor seats"). */
      label: string;
      from: number;
      to: number;
      /** Prorated charge estimate of added extra seats (server/billing's estimator); null: nothing charged now. */
      charge: { amount: number; formatted: string } | null;
      /** "Editor seats 5 → 8; prorated charge for the 14 days left ≈ $35.00". */
      text: string;
    }
  | {
      kind: "usage";
      feature: string;
      /** The feature's name on the plan. */
      label: string;
      quantity: number;
      unitName: string | null;
      /** ISO time the event will carry; null = the time of apply. */
      eventTime: string | null;
      /** "API calls + 1,200". */
      text: string;
    };

export interface BulkRowView {
  /** Line of the file (the header is line 1; a quoted cell with a newline makes a row span lines: its first). */
  line: number;
  status: BulkRowStatus;
  /** The customer as written in the file, and the Commet id it resolved to. */
  customer: string;
  customerId: string | null;
  /** The row as written, in one line ("editor · add 3 · Renewal 2027"). */
  summary: string;
  errors: BulkRowError[];
  effect: BulkRowEffect | null;
  /** After apply: what happened (message), Commet's id of the write, the audit row. */
  outcome: { message: string; commetId: string | null; auditId: string | null; at: number | null } | null;
}

export interface BulkTotals {
  rows: number;
  valid: number;
  invalid: number;
  excluded: number;
  /** Distinct customers among the valid rows. */
  customers: number;
  /** Seat batches: seats added / removed in total, and the prorated estimate of the additions. */
  seats: { added: number; removed: number; charge: { amount: number; formatted: string } | null } | null;
  /** Usage batches: quantity per feature. */
  usage: Array<{ feature: string; label: string; quantity: number; unitName: string | null; rows: number }> | null;
}

/** The progress bar (polled while applying). */
export interface BulkProgress {
  batchId: string;
  status: BulkBatchStatus;
  /** Rows to apply (valid, not excluded). */
  total: number;
  /** Rows with an outcome (applied + refused + failed + unknown + skipped). */
  done: number;
  applied: number;
  refused: number;
  failed: number;
  unknown: number;
  skipped: number;
  /** 0–100, whole. */
  percent: number;
}

export interface BulkBatchSummary {
  id: string;
  kind: BulkKind;
  fileName: string;
  createdAt: number;
  createdBy: string;
  status: BulkBatchStatus;
  rows: number;
  applied: number;
}

export interface BulkBatchView {
  id: string;
  kind: BulkKind;
  fileName: string;
  /** First 12 hex digits of the file's SHA-256 (row keys derive from the whole hash). */
  fileHash: string;
  createdAt: number;
  createdBy: string;
  status: BulkBatchStatus;
  /** When validation (the dry run) last read Commet. */
  validatedAt: number;
  totals: BulkTotals;
  progress: BulkProgress;
  approval: {
    requestId: string;
    status: "pending" | "approved" | "rejected" | "expired" | "cancelled";
    approvers: string[];
  } | null;
  /** What the viewer may do now (the server checks again). */
  may: Record<BulkIntent, boolean>;
  /** The filtered page of rows. */
  filter: BulkRowFilter;
  page: number;
  pageSize: number;
  /** Rows matching the filter (for the pager). */
  filteredRows: number;
  rows: BulkRowView[];
  livemode: boolean;
}

// ---------------------------------------------------------------- answers

export type BulkUploadResult =
  /** Stored and validated: open the batch (its status says invalid or ready). */
  | { kind: "created"; batchId: string; status: BulkBatchStatus; message: string }
  /** This very file (same kind and content) was uploaded before: that batch, nothing new created. */
  | { kind: "existing"; batchId: string; status: BulkBatchStatus; message: string }
  /** The file as a whole is refused (not CSV, header, no rows, > 10,000 rows, too big): nothing stored. */
  | { kind: "file_errors"; errors: string[]; message: string }
  | { kind: "forbidden"; message: string }
  /** Commet could not be read for validation: nothing stored; try again. */
  | { kind: "commet_error"; message: string };

export type BulkActionResult =
  | { kind: "ok"; batchId: string; status: BulkBatchStatus; message: string }
  /** The policy asks for a second person: the whole batch is one approval request; nothing was sent. */
  | { kind: "sent_for_approval"; batchId: string; requestId: string; approvers: string[]; message: string }
  /** Not possible in the batch's state (e.g. apply while rows are invalid). */
  | { kind: "refused"; message: string }
  | { kind: "not_found"; message: string }
  | { kind: "forbidden"; message: string }
  | { kind: "commet_error"; message: string };

const STATUS: Record<BulkUploadResult["kind"] | BulkActionResult["kind"], number> = {
  created: 200,
  existing: 200,
  ok: 200,
  sent_for_approval: 202,
  file_errors: 400,
  forbidden: 403,
  not_found: 404,
  refused: 409,
  commet_error: 502,
};

export function bulkStatus(result: BulkUploadResult | BulkActionResult): number {
  return STATUS[result.kind];
}

/** The CSV files a batch offers: its rows' outcomes, or its validation errors. */
export const bulkCsvFileName = (batchId: string, which: BulkCsvKind) => `${batchId}-${which}.csv`;
