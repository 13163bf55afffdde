/**
 * Reads an uploaded CSV file with csv-parse: BOM, CRLF, quoted cells, `,` or `;` (spreadsheets in many
 * locales write semicolons), and each row's first line number. File-level problems refuse the whole file.
 */
import { createHash } from "node:crypto";
import { parse } from "csv-parse/sync";
import type { z } from "zod";
import {
  BULK_COLUMNS,
  BULK_OPTIONAL_COLUMNS,
  MAX_BULK_FILE_BYTES,
  MAX_BULK_ROWS,
  bulkSeatRowSchema,
  bulkUsageRowSchema,
  normalizeBulkHeader,
  type BulkKind,
  type BulkRowError,
  type BulkSeatRow,
  type BulkUsageRow,
} from "../../app/contracts/bulk.ts";

export type ParsedValues = { kind: "seats"; row: BulkSeatRow } | { kind: "usage"; row: BulkUsageRow };

export interface ParsedRow {
  line: number;
  /** The cells by column (missing optional columns as ""). */
  cells: Record<string, string>;
  /** The row read by its schema; null when a cell is invalid (see errors). */
  values: ParsedValues | null;
  errors: BulkRowError[];
}

export type ParsedFile = { ok: true; hash: string; rows: ParsedRow[] } | { ok: false; errors: string[] };

/** SHA-256 of the file as uploaded: the batch's identity and the root of its rows' keys. */
export function fileHash(content: string): string {
  return createHash("sha256").update(content, "utf8").digest("hex");
}

/** `;` when the header line has more semicolons than commas outside quotes (the header names hold neither). */
export function detectDelimiter(firstLine: string): "," | ";" {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const ch of firstLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === ",") commas += 1;
    else if (!quoted && ch === ";") semicolons += 1;
  }
  return semicolons > commas ? ";" : ",";
}

export function parseBulkFile(kind: BulkKind, content: string): ParsedFile {
  if (Buffer.byteLength(content, "utf8") > MAX_BULK_FILE_BYTES) {
    return { ok: false, errors: [`The file is larger than ${MAX_BULK_FILE_BYTES / 1024 / 1024} MB`] };
  }
  const hash = fileHash(content);
  // One line ending for the parser (its line count is then the file's); a CR inside a quoted cell goes too,
  // and cells are single-line text anyway.
  const text = content.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  if (text.trim() === "") return { ok: false, errors: ["The file is empty"] };
  const delimiter = detectDelimiter(text.slice(0, text.indexOf("\n") === -1 ? text.length : text.indexOf("\n")));

  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, {
      delimiter,
      record_delimiter: "\n",
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
      // A row past the limit is enough to refuse the file: stop reading there.
      to: MAX_BULK_ROWS + 2,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    const reason = error instanceof Error ? error.message.replace(/^Invalid \w+:\s*/, "") : String(error);
    return { ok: false, errors: [`The file is not valid CSV${line ? ` (line ${line})` : ""}: ${reason}`] };
  }

  const [header, ...data] = records;
  if (!header) return { ok: false, errors: ["The file is empty"] };
  const columns = header.record.map(normalizeBulkHeader);
  const expected: readonly string[] = BULK_COLUMNS[kind];
  const optional = BULK_OPTIONAL_COLUMNS[kind];
  const errors: string[] = [];
  const unknown = columns.filter((c) => !expected.includes(c));
  if (unknown.length) {
    errors.push(
      `Unknown column${unknown.length > 1 ? "s" : ""} ${unknown.map((c) => `“${c}”`).join(", ")}: the columns are ${expected.join(", ")}`,
    );
  }
  const missing = expected.filter((c) => !optional.includes(c) && !columns.includes(c));
  if (missing.length) errors.push(`Missing column${missing.length > 1 ? "s" : ""}: ${missing.join(", ")}`);
  const repeated = columns.filter((c, i) => columns.indexOf(c) !== i);
  if (repeated.length) errors.push(`Column ${[...new Set(repeated)].join(", ")} appears twice`);
  if (data.length === 0) errors.push("The file has a header but no rows");
  if (data.length > MAX_BULK_ROWS) {
    errors.push(`The file has more than ${MAX_BULK_ROWS.toLocaleString("en-US")} rows: split it into several files`);
  }
  if (errors.length) return { ok: false, errors };

  const schema = kind === "seats" ? bulkSeatRowSchema : bulkUsageRowSchema;
  const rows = data.map(({ record, info }): ParsedRow => {
    // info.lines is where the record ends; a quoted cell may have spanned lines.
    const inner = record.reduce((n, value) => n + (value.match(/\n/g)?.length ?? 0), 0);
    const line = info.lines - inner;
    const cells: Record<string, string> = Object.fromEntries(expected.map((c) => [c, ""]));
    columns.forEach((c, i) => (cells[c] = record[i] ?? ""));
    const rowErrors: BulkRowError[] = [];
    if (record.length !== columns.length) {
      rowErrors.push({
        column: null,
        message: `The row has ${record.length} cells, the header ${columns.length} (a missing or extra ${delimiter}?)`,
      });
    }
    const parsed = schema.safeParse(cells);
    if (!parsed.success) rowErrors.push(...issuesOf(parsed.error));
    const values = parsed.success && rowErrors.length === 0 ? ({ kind, row: parsed.data } as ParsedValues) : null;
    return { line, cells, values, errors: rowErrors };
  });
  return { ok: true, hash, rows };
}

function issuesOf(error: z.ZodError): BulkRowError[] {
  return error.issues.map((issue) => ({
    column: issue.path.length ? String(issue.path[0]) : null,
    message: issue.message,
  }));
}
