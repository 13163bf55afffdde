/**
 * The one CSV writer of every export (audit trail, usage): rows streamed with back-pressure, and
 * spreadsheet formula injection neutralized (OWASP "CSV Injection"): a text cell beginning with
 * = + - @, tab or CR (or their full-width forms) gets a leading single quote. A cell whose value is a
 * number stays as it is, so negative amounts remain numbers; ids and names always go out as text.
 */
import { Readable, pipeline } from "node:stream";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { stringify } from "csv-stringify";

export type CsvCell = string | number | null | undefined;
export interface CsvColumn<K extends string> {
  key: K;
  header: string;
}

/** CSV text (header + one line per row) pulled from `rows` only as fast as the consumer reads. */
export function csvStream<K extends string>(
  rows: AsyncIterable<Record<K, CsvCell>> | Iterable<Record<K, CsvCell>>,
  columns: readonly CsvColumn<K>[],
): Readable {
  const csv = stringify({
    header: true,
    columns: columns.map((c) => ({ key: c.key, header: c.header })),
    escape_formulas: true,
  });
  // pipeline destroys the CSV stream with the source's error (a failed query ends the download).
  return pipeline(Readable.from(rows), csv, () => {});
}

/** A download of `csv`: never cached, never sniffed; a client that goes away stops the query. */
export function csvResponse(csv: Readable, filename: string, signal?: AbortSignal): Response {
  signal?.addEventListener("abort", () => csv.destroy());
  return new Response(createReadableStreamFromReadable(csv), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename.replace(/[^\w.-]/g, "_")}"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
