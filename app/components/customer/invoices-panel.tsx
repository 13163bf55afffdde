// The customer page's Invoices panel: the invoice list, with each invoice's lines loaded on demand.

import { useFetcher } from "@remix-run/react";
import { Fragment, useState } from "react";
import type { InvoiceDetailView, InvoiceView, PanelResult } from "~/contracts/customer-view";
import type { Problem } from "~/contracts/problem";
import { formatCount, formatDate } from "~/contracts/format";
import { formatMinor } from "~/contracts/money";
import { StatusBadge } from "../status-badge";
import { Panel } from "./panel";

type LinesAnswer = { invoice: InvoiceDetailView } | { problem: Problem };

function InvoiceLines({ customerRef, invoice }: { customerRef: string; invoice: InvoiceView }) {
  const fetcher = useFetcher<LinesAnswer>();
  const [open, setOpen] = useState(false);
  const rowId = `invoice-lines-${invoice.id}`;
  const toggle = () => {
    if (!open && fetcher.state === "idle" && !fetcher.data) {
      fetcher.load(`/customers/${encodeURIComponent(customerRef)}/invoices/${encodeURIComponent(invoice.id)}`);
    }
    setOpen(!open);
  };
  const answer = fetcher.data;
  return (
    <Fragment>
      <tr>
        <th scope="row">
          <button
            type="button"
            className="disclosure"
            aria-expanded={open}
            aria-controls={rowId}
            onClick={toggle}
            aria-label={`${open ? "Hide" : "Show"} line items of ${invoice.invoiceNumber}`}
          >
            <span aria-hidden="true">{open ? "▾" : "▸"}</span> {invoice.invoiceNumber}
          </button>
        </th>
        <td>
          <StatusBadge status={invoice.status} />
        </td>
        <td>
          {formatDate(invoice.periodStart)} – {formatDate(invoice.periodEnd)}
        </td>
        <td className="num">{formatMinor(invoice.total, invoice.currency)}</td>
        <td>{invoice.currency.toUpperCase()}</td>
      </tr>
      {open ? (
        <tr id={rowId} className="invoice-lines">
          <td colSpan={5}>
            {!answer ? (
              <p className="muted" role="status">
                Loading line items…
              </p>
            ) : "problem" in answer ? (
              <p className="panel-error__body" role="alert">
                {answer.problem.message}{" "}
                <button
                  type="button"
                  className="button button--small button--quiet"
                  onClick={() =>
                    fetcher.load(
                      `/customers/${encodeURIComponent(customerRef)}/invoices/${encodeURIComponent(invoice.id)}`,
                    )
                  }
                >
                  Retry
                </button>
              </p>
            ) : (
              <table className="mini-table lines-table">
                <caption className="visually-hidden">Line items of {invoice.invoiceNumber}</caption>
                <thead>
                  <tr>
                    <th scope="col">Description</th>
                    <th scope="col" className="num">
                      Qty
                    </th>
                    <th scope="col" className="num">
                      Unit
                    </th>
                    <th scope="col" className="num">
                      Amount
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {answer.invoice.lineItems.map((line, i) => (
                    <tr key={i}>
                      <td>
                        {line.description}
                        {line.chargeType !== "standard" ? (
                          <span className="muted"> ({line.chargeType.replace("_", "-")})</span>
                        ) : null}
                      </td>
                      <td className="num">{formatCount(line.quantity)}</td>
                      <td className="num">{formatMinor(line.unitAmount, answer.invoice.currency)}</td>
                      <td className="num">{formatMinor(line.amount, answer.invoice.currency)}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  {answer.invoice.discountAmount ? (
                    <tr>
                      <th scope="row" colSpan={3}>
                        Discount
                      </th>
                      <td className="num">-{formatMinor(answer.invoice.discountAmount, answer.invoice.currency)}</td>
                    </tr>
                  ) : null}
                  {answer.invoice.taxAmount ? (
                    <tr>
                      <th scope="row" colSpan={3}>
                        Tax
                      </th>
                      <td className="num">{formatMinor(answer.invoice.taxAmount, answer.invoice.currency)}</td>
                    </tr>
                  ) : null}
                  <tr>
                    <th scope="row" colSpan={3}>
                      Total
                    </th>
                    <td className="num">
                      <strong>{formatMinor(answer.invoice.total, answer.invoice.currency)}</strong>
                    </td>
                  </tr>
                </tfoot>
              </table>
            )}
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}

/** Recent invoices (number, status, period, total, currency); line items on expand. */
export function InvoicesPanel({
  customerRef,
  resolve,
}: {
  customerRef: string;
  resolve: Promise<PanelResult<{ invoices: InvoiceView[]; hasMore: boolean }>>;
}) {
  return (
    <Panel title="Invoices" name="invoices" resolve={resolve} skeletonRows={4} className="panel--wide">
      {({ invoices, hasMore }) =>
        invoices.length > 0 ? (
          <>
            <table className="mini-table invoices-table">
              <caption className="visually-hidden">Recent invoices</caption>
              <thead>
                <tr>
                  <th scope="col">Number</th>
                  <th scope="col">Status</th>
                  <th scope="col">Period</th>
                  <th scope="col" className="num">
                    Total
                  </th>
                  <th scope="col">Currency</th>
                </tr>
              </thead>
              <tbody>
                {invoices.map((invoice) => (
                  <InvoiceLines key={invoice.id} customerRef={customerRef} invoice={invoice} />
                ))}
              </tbody>
            </table>
            {hasMore ? <p className="muted">Showing the {invoices.length} most recent invoices.</p> : null}
          </>
        ) : (
          <p className="muted">No invoices yet.</p>
        )
      }
    </Panel>
  );
}
