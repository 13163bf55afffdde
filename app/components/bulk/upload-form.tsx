/**
 * The /bulk upload form: which kind of change, the CSV file, its template. Posting it validates every row
 * against Commet and opens the batch's dry run; nothing is written to Commet by uploading.
 */
import { Form } from "@remix-run/react";
import { useId, useState } from "react";
import {
  BULK_COLUMNS,
  BULK_KIND_LABELS,
  BULK_KINDS,
  BULK_OPTIONAL_COLUMNS,
  MAX_BULK_FILE_BYTES,
  MAX_BULK_ROWS,
  type BulkKind,
} from "~/contracts/bulk";
import { formatCount } from "~/contracts/format";
import "./bulk.css";

const KIND_HINTS: Record<BulkKind, string> = {
  seats: "operation is set, add or remove; customer is a Commet id, an external id or an email.",
  usage: "event_time is ISO 8601 in UTC (empty: the time of apply); key is an optional idempotency key.",
};

export function BulkUploadForm({
  errors,
  busy,
  defaultKind = "seats",
}: {
  /** The file's refusal (header, size, rows…) from the last upload, shown under the form. */
  errors: string[] | null;
  busy: boolean;
  defaultKind?: BulkKind;
}) {
  const id = useId();
  const [kind, setKind] = useState<BulkKind>(defaultKind);
  const errorId = `${id}-errors`;
  return (
    <Form method="post" encType="multipart/form-data" className="bulk-upload" data-testid="bulk-upload">
      <fieldset>
        <legend>What the file holds</legend>
        {BULK_KINDS.map((k) => (
          <div className="bulk-kind" key={k}>
            <input
              type="radio"
              id={`${id}-${k}`}
              name="kind"
              value={k}
              checked={kind === k}
              onChange={() => setKind(k)}
            />
            <label htmlFor={`${id}-${k}`}>{BULK_KIND_LABELS[k]}</label>
            <span className="bulk-kind__columns">
              Columns:{" "}
              <code>
                {BULK_COLUMNS[k].map((c) => (BULK_OPTIONAL_COLUMNS[k].includes(c) ? `${c} (optional)` : c)).join(", ")}
              </code>
              . {KIND_HINTS[k]}{" "}
              <a href={`/bulk/templates/${k}`} download data-testid={`bulk-template-${k}`}>
                Download the {BULK_KIND_LABELS[k].toLowerCase()} template
              </a>
            </span>
          </div>
        ))}
      </fieldset>
      <div className="bulk-upload__file">
        <label htmlFor={`${id}-file`}>CSV file</label>
        <input
          type="file"
          id={`${id}-file`}
          name="file"
          accept=".csv,text/csv"
          required
          aria-invalid={errors ? true : undefined}
          aria-describedby={errors ? `${id}-hint ${errorId}` : `${id}-hint`}
        />
        <p className="field-hint" id={`${id}-hint`}>
          Up to {formatCount(MAX_BULK_ROWS)} rows and {formatCount(MAX_BULK_FILE_BYTES / 1024 / 1024)} MB. Comma or
          semicolon separated, UTF-8 (a spreadsheet&apos;s byte-order mark is fine), quoted cells may hold commas.
        </p>
      </div>
      <button type="submit" className="button" disabled={busy}>
        {busy ? "Validating against Commet…" : "Upload and validate"}
      </button>
      {errors ? (
        <div className="form-alert" role="alert" id={errorId} data-testid="bulk-file-errors">
          The file was not accepted; nothing was stored or sent:
          <ul className="bulk-upload__errors">
            {errors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </Form>
  );
}
