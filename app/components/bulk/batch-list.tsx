/** The recent bulk batches on /bulk: each file, its kind, where it stands and who uploaded it. */
import { Link } from "@remix-run/react";
import { BULK_KIND_LABELS, type BulkBatchSummary } from "~/contracts/bulk";
import { formatCount, formatUtc } from "~/contracts/format";
import { BatchStatusBadge } from "./status";

export function BulkBatchList({ batches }: { batches: BulkBatchSummary[] }) {
  if (batches.length === 0) return <p className="empty-state">No file uploaded yet.</p>;
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label="Recent bulk batches">
      <table className="data-table" data-testid="bulk-batches">
        <caption className="visually-hidden">Recent bulk batches, newest first</caption>
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">Kind</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Rows
            </th>
            <th scope="col" className="num">
              Applied
            </th>
            <th scope="col">Uploaded</th>
          </tr>
        </thead>
        <tbody>
          {batches.map((b) => (
            <tr key={b.id} data-batch={b.id}>
              <td>
                <Link to={`/bulk/${b.id}`}>{b.fileName}</Link>
              </td>
              <td>{BULK_KIND_LABELS[b.kind]}</td>
              <td>
                <BatchStatusBadge status={b.status} />
              </td>
              <td className="num">{formatCount(b.rows)}</td>
              <td className="num">{formatCount(b.applied)}</td>
              <td>
                {formatUtc(b.createdAt)}
                <div className="muted small">{b.createdBy}</div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
