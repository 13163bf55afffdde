/**
 * A batch's rows, one page at a time (?filter=&page= in the URL): the line of the file, the row as written,
 * its errors, its dry-run effect and, once applied, its outcome with Commet's id.
 */
import { Link } from "@remix-run/react";
import { useSearchWith } from "~/components/data-table";
import { BULK_ROW_FILTER_LABELS, BULK_ROW_FILTERS, type BulkBatchView, type BulkRowView } from "~/contracts/bulk";
import { customerHref } from "~/contracts/customer-ref";
import { formatCount, formatUtc } from "~/contracts/format";
import { RowStatusBadge } from "./status";

function RowDetail({ row }: { row: BulkRowView }) {
  return (
    <>
      {row.errors.length > 0 ? (
        <ul className="bulk-row-errors" data-testid="bulk-row-errors">
          {row.errors.map((e, i) => (
            <li key={i}>
              {e.column ? <code>{e.column}</code> : null}
              {e.column ? ": " : null}
              {e.message}
            </li>
          ))}
        </ul>
      ) : null}
      {row.effect ? <div data-testid="bulk-row-effect">{row.effect.text}</div> : null}
      {row.outcome ? (
        <div className="muted small" data-testid="bulk-row-outcome">
          {row.outcome.message}
          {row.outcome.commetId && !row.outcome.message.includes(row.outcome.commetId) ? (
            <>
              {" "}
              · <code>{row.outcome.commetId}</code>
            </>
          ) : null}
          {row.outcome.at ? ` · ${formatUtc(row.outcome.at)}` : null}
        </div>
      ) : null}
    </>
  );
}

export function BatchRows({ batch }: { batch: BulkBatchView }) {
  const searchWith = useSearchWith();
  const { filter, page, pageSize, filteredRows, rows } = batch;
  const pageCount = Math.max(1, Math.ceil(filteredRows / pageSize));
  const first = filteredRows === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(filteredRows, page * pageSize);
  // The upload's one-time notice (?uploaded=) is not carried to other pages of rows.
  const to = (p: number) => searchWith({ page: p === 1 ? null : p, uploaded: null });
  return (
    <section className="bulk-section" aria-labelledby="bulk-rows-title">
      <h2 id="bulk-rows-title">Rows</h2>
      <ul className="bulk-filters" aria-label="Show rows">
        {BULK_ROW_FILTERS.map((f) => (
          <li key={f}>
            <Link
              to={searchWith({ filter: f === "all" ? null : f, page: null, uploaded: null })}
              aria-current={f === filter ? "page" : undefined}
              preventScrollReset
            >
              {BULK_ROW_FILTER_LABELS[f]}
            </Link>
          </li>
        ))}
      </ul>
      {rows.length === 0 ? (
        <p className="empty-state">No row of this file matches “{BULK_ROW_FILTER_LABELS[filter]}”.</p>
      ) : (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Rows of the file">
          <table className="data-table bulk-rows" data-testid="bulk-rows">
            <caption className="visually-hidden">
              Rows of the file: {BULK_ROW_FILTER_LABELS[filter]}, page {page}
            </caption>
            <thead>
              <tr>
                <th scope="col" className="num">
                  Line
                </th>
                <th scope="col">Status</th>
                <th scope="col">Customer</th>
                <th scope="col">Row as written · errors, dry run, outcome</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.line} data-line={row.line} data-status={row.status}>
                  <td className="num">{row.line}</td>
                  <td>
                    <RowStatusBadge status={row.status} />
                  </td>
                  <td>
                    {row.customerId ? (
                      <Link to={customerHref(row.customerId)} prefetch="intent">
                        {row.customer}
                      </Link>
                    ) : (
                      row.customer || <span className="muted">—</span>
                    )}
                  </td>
                  <td className="bulk-rows__detail">
                    <div className="muted small">{row.summary}</div>
                    <RowDetail row={row} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav className="pager" aria-label="Pages of rows">
        <span className="muted" data-testid="bulk-rows-summary">
          {filteredRows === 0
            ? "No rows"
            : `${formatCount(first)}–${formatCount(last)} of ${formatCount(filteredRows)} rows · page ${page} of ${pageCount}`}
        </span>
        {page > 1 ? (
          <Link className="button button--quiet" to={to(page - 1)} rel="prev" preventScrollReset>
            Previous page
          </Link>
        ) : null}
        {page < pageCount ? (
          <Link className="button button--quiet" to={to(page + 1)} rel="next" preventScrollReset>
            Next page
          </Link>
        ) : null}
      </nav>
    </section>
  );
}
