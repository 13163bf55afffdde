// The customer page's Invoices panel: the invoice list; each invoice opens with every line explained, its PDF and resend.

import { Link, useFetcher, useSearchParams } from "@remix-run/react";
import { Fragment, useEffect, useId, useState } from "react";
import type { InvoiceView, PanelResult } from "~/contracts/customer-view";
import { formatCount, formatDate } from "~/contracts/format";
import {
  CHARGE_TYPE_LABELS,
  displayStatus,
  invoiceHref,
  invoicePdfHref,
  lineTypeLabel,
  usagePeriodDays,
  usageTabHref,
  type InvoiceDetail,
  type InvoiceLineDetail,
} from "~/contracts/invoices";
import { formatMinor, formatMinorUnit } from "~/contracts/money";
import { newIdempotencyKey } from "~/contracts/ops-forms";
import type { OpsWriteResult } from "~/contracts/ops-results";
import type { Problem } from "~/contracts/problem";
import { FormAlert, FormField } from "../form-field";
import { useOpsForm } from "../ops/use-ops-form";
import { StatusBadge } from "../status-badge";
import { Toast, useToast, type ToastTone } from "../toast";
import { useNow } from "../use-now";
import { Panel } from "./panel";
import "./invoices.css";

type DetailAnswer = { invoice: InvoiceDetail; billingEmail: string } | { problem: Problem };

/** One sentence of what a line is made of: included, used, overage × price; the discount; the credit. */
function explain(line: InvoiceLineDetail, currency: string): string | null {
  const n = (v: number | null) => formatCount(v ?? 0);
  const unit = formatMinorUnit(line.unitAmount, currency);
  switch (line.lineType) {
    case "feature_overage":
      return `Included ${n(line.includedAmount)}, used ${n(line.usedAmount)}: ${n(line.overageAmount)} over × ${unit}`;
    case "feature_seats":
    case "feature_quota":
      return `Included ${n(line.includedAmount)}, held ${n(line.usedAmount)}: ${n(line.overageAmount)} extra × ${unit}`;
    case "discount":
    case "promo_code_discount": {
      const what = line.discountName ? `${line.discountName}: ` : "";
      if (line.discountType === "percentage" && line.discountValue !== null) return `${what}${line.discountValue}% off`;
      if (line.discountValue !== null) return `${what}${formatMinor(line.discountValue, currency)} off`;
      return what ? what.slice(0, -2) : null;
    }
    case "credit":
      return "Account credit applied to this invoice";
    case "plan_base":
      return line.quantity !== 1 ? `${n(line.quantity)} × ${unit}` : null;
    default:
      return line.quantity !== 1 ? `${n(line.quantity)} × ${unit}` : null;
  }
}

function LineRow({
  line,
  invoice,
  customerRef,
}: {
  line: InvoiceLineDetail;
  invoice: InvoiceDetail;
  customerRef: string;
}) {
  const c = invoice.currency;
  const note = explain(line, c);
  const charge = CHARGE_TYPE_LABELS[line.chargeType] ?? line.chargeType.replace(/_/g, " ");
  return (
    <tr data-line-type={line.lineType}>
      <td>
        <span className="line-type">{lineTypeLabel(line.lineType)}</span>
        {charge ? <span className="muted small"> · {charge}</span> : null}
      </td>
      <td>
        {line.description}
        {line.featureName && !line.description.toLowerCase().includes(line.featureName.toLowerCase()) ? (
          <span className="muted"> ({line.featureName})</span>
        ) : null}
        {note ? (
          <div className="muted small line-note" data-testid="line-note">
            {note}
          </div>
        ) : null}
        {line.lineType === "feature_overage" ? (
          <div className="small">
            <Link to={usageTabHref(customerRef, usagePeriodDays(invoice))} data-testid="overage-usage-link">
              Usage in this period
            </Link>
          </div>
        ) : null}
      </td>
      <td className="num">{formatCount(line.quantity)}</td>
      <td className="num">{formatMinorUnit(line.unitAmount, c)}</td>
      <td className="num">{formatMinor(line.amount, c)}</td>
    </tr>
  );
}

function InvoiceBody({
  invoice,
  billingEmail,
  customerRef,
  canSend,
}: {
  invoice: InvoiceDetail;
  billingEmail: string;
  customerRef: string;
  canSend: boolean;
}) {
  const c = invoice.currency;
  const totals: Array<[string, number, boolean]> = [
    ["Subtotal", invoice.subtotal, false],
    ["Discounts", -invoice.discountAmount, false],
    ["Credits applied", -invoice.creditApplied, false],
    ["Tax", invoice.taxAmount, false],
    ["Total", invoice.total, true],
  ];
  return (
    <div className="invoice-detail" data-testid="invoice-detail">
      <dl className="invoice-meta">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={invoice.displayStatus} />
          </dd>
        </div>
        <div>
          <dt>Issued</dt>
          <dd>{formatDate(invoice.issueDate)}</dd>
        </div>
        <div>
          <dt>Due</dt>
          <dd>{formatDate(invoice.dueDate)}</dd>
        </div>
        <div>
          <dt>Type</dt>
          <dd>{invoice.invoiceType.replace(/_/g, " ")}</dd>
        </div>
        {invoice.planName ? (
          <div>
            <dt>Plan</dt>
            <dd>{invoice.planName}</dd>
          </div>
        ) : null}
        {invoice.poNumber ? (
          <div>
            <dt>PO number</dt>
            <dd>{invoice.poNumber}</dd>
          </div>
        ) : null}
        {invoice.reference ? (
          <div>
            <dt>Reference</dt>
            <dd>{invoice.reference}</dd>
          </div>
        ) : null}
      </dl>
      <table className="mini-table lines-table">
        <caption className="visually-hidden">Line items of {invoice.invoiceNumber}</caption>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Description</th>
            <th scope="col" className="num">
              Qty
            </th>
            <th scope="col" className="num">
              Unit price
            </th>
            <th scope="col" className="num">
              Amount
            </th>
          </tr>
        </thead>
        <tbody>
          {invoice.lineItems.length === 0 ? (
            <tr>
              <td colSpan={5} className="muted">
                This invoice has no line items.
              </td>
            </tr>
          ) : (
            invoice.lineItems.map((line, i) => (
              <LineRow key={i} line={line} invoice={invoice} customerRef={customerRef} />
            ))
          )}
        </tbody>
        <tfoot>
          {totals
            .filter(([label, value]) => value !== 0 || label === "Subtotal" || label === "Total")
            .map(([label, value, strong]) => (
              <tr key={label}>
                <th scope="row" colSpan={4}>
                  {label}
                </th>
                <td className="num">{strong ? <strong>{formatMinor(value, c)}</strong> : formatMinor(value, c)}</td>
              </tr>
            ))}
        </tfoot>
      </table>
      {invoice.memo ? (
        <p className="invoice-memo" data-testid="invoice-memo">
          <strong>Memo:</strong> {invoice.memo}
        </p>
      ) : null}
      <div className="invoice-actions">
        {/* A document request, not a client navigation: the route audits it and redirects to the signed PDF. */}
        <a
          className="button button--quiet"
          href={invoicePdfHref(customerRef, invoice.id)}
          target="_blank"
          rel="noreferrer"
          data-testid="invoice-pdf"
        >
          Download PDF <span className="visually-hidden">(opens in a new tab)</span>
        </a>
        {canSend ? <ResendInvoice invoice={invoice} billingEmail={billingEmail} customerRef={customerRef} /> : null}
      </div>
    </div>
  );
}

/** Resend (invoices:send): a confirmation, then one exactly-once write under the shown idempotency key. */
function ResendInvoice({
  invoice,
  billingEmail,
  customerRef,
}: {
  invoice: InvoiceDetail;
  billingEmail: string;
  customerRef: string;
}) {
  const id = useId();
  const [confirming, setConfirming] = useState(false);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const { toast, show, dismiss } = useToast();
  const sendable = invoice.status !== "void" && invoice.status !== "draft";
  const { fetcher, key, setKey, disabled, guard } = useOpsForm<OpsWriteResult>({
    fetcherKey: `invoice-send:${customerRef}:${invoice.id}`,
    keyPrefix: "invoice-send",
    initialKey: newIdempotencyKey("invoice-send"),
    onResult(result) {
      const outcome = (tone: ToastTone, text: string) => show(tone, text);
      switch (result.kind) {
        case "field_errors":
          setErrors(result.fieldErrors);
          return;
        case "ok":
          setErrors({});
          setConfirming(false);
          outcome(
            "success",
            result.resumed
              ? result.message
              : `Sent ${invoice.invoiceNumber} to ${billingEmail} (recorded in the audit trail).`,
          );
          return;
        case "already_recorded":
          setErrors({});
          setConfirming(false);
          outcome("info", result.message);
          return;
        default:
          outcome("error", result.message);
      }
    },
  });
  if (!sendable) {
    return <span className="muted small">A {invoice.status} invoice cannot be sent to the customer.</span>;
  }
  return (
    <>
      {!confirming ? (
        <button type="button" className="button button--quiet" onClick={() => setConfirming(true)}>
          Resend to customer…
        </button>
      ) : (
        <fetcher.Form
          method="post"
          action={`${invoiceHref(customerRef, invoice.id)}/send`}
          className="invoice-resend"
          aria-labelledby={`${id}-title`}
          onSubmit={guard}
          noValidate
        >
          <p id={`${id}-title`} className="invoice-resend__question">
            Email {invoice.invoiceNumber} ({formatMinor(invoice.total, invoice.currency)}) to {billingEmail} again?
          </p>
          <FormAlert message={errors._form?.[0] ?? errors.invoiceId?.[0]} />
          <FormField
            id={`${id}-key`}
            label="Idempotency key"
            errors={errors.idempotencyKey}
            hint="The same key never sends twice; paste a ticket-derived key (e.g. ticket-4812) to tie it to a ticket."
          >
            {(control) => (
              <input
                {...control}
                name="idempotencyKey"
                autoComplete="off"
                spellCheck={false}
                className="mono"
                value={key}
                onChange={(e) => setKey(e.target.value)}
              />
            )}
          </FormField>
          <div className="invoice-resend__buttons">
            <button type="submit" className="button" disabled={disabled}>
              {fetcher.state !== "idle" ? "Sending…" : "Send invoice"}
            </button>
            <button type="button" className="button button--quiet" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </fetcher.Form>
      )}
      <Toast toast={toast} onDismiss={dismiss} label="Invoice resend result" />
    </>
  );
}

function InvoiceRow({
  customerRef,
  invoice,
  canSend,
  initiallyOpen,
  now,
}: {
  customerRef: string;
  invoice: InvoiceView;
  canSend: boolean;
  initiallyOpen: boolean;
  now: number;
}) {
  const fetcher = useFetcher<DetailAnswer>();
  // A link from /invoices names the invoice to open (?invoice=…).
  const [open, setOpen] = useState(initiallyOpen);
  const href = invoiceHref(customerRef, invoice.id);
  const rowId = `invoice-lines-${invoice.id}`;
  const { load } = fetcher;
  const answer = fetcher.data;
  const idle = fetcher.state === "idle";
  useEffect(() => {
    if (open && idle && !answer) load(href);
  }, [open, idle, answer, load, href]);
  return (
    <Fragment>
      <tr>
        <th scope="row">
          <button
            type="button"
            className="disclosure"
            aria-expanded={open}
            aria-controls={rowId}
            onClick={() => setOpen(!open)}
            aria-label={`${open ? "Hide" : "Show"} details of ${invoice.invoiceNumber}`}
          >
            <span aria-hidden="true">{open ? "▾" : "▸"}</span> {invoice.invoiceNumber}
          </button>
        </th>
        <td>
          <StatusBadge status={displayStatus(invoice, now)} />
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
                Loading the invoice…
              </p>
            ) : "problem" in answer ? (
              <p className="panel-error__body" role="alert">
                {answer.problem.message}{" "}
                <button type="button" className="button button--small button--quiet" onClick={() => load(href)}>
                  Retry
                </button>
              </p>
            ) : (
              <InvoiceBody
                invoice={answer.invoice}
                billingEmail={answer.billingEmail}
                customerRef={customerRef}
                canSend={canSend}
              />
            )}
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}

/** Recent invoices (number, status, period, total, currency); each opens with its lines explained. */
export function InvoicesPanel({
  customerRef,
  resolve,
  canSend,
  now: serverNow,
}: {
  customerRef: string;
  resolve: Promise<PanelResult<{ invoices: InvoiceView[]; hasMore: boolean }>>;
  canSend: boolean;
  /** The server's clock (overdue = outstanding past the due date), then the browser's. */
  now: number;
}) {
  const now = useNow(serverNow);
  const [params] = useSearchParams();
  const opened = params.get("invoice");
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
                  <InvoiceRow
                    key={invoice.id}
                    customerRef={customerRef}
                    invoice={invoice}
                    canSend={canSend}
                    initiallyOpen={invoice.id === opened}
                    now={now}
                  />
                ))}
              </tbody>
            </table>
            {hasMore ? (
              <p className="muted">
                Showing the {invoices.length} most recent invoices.{" "}
                <Link to={`/invoices?customer=${encodeURIComponent(customerRef)}`}>
                  All of this customer&rsquo;s invoices
                </Link>
              </p>
            ) : null}
          </>
        ) : (
          <p className="muted">No invoices yet.</p>
        )
      }
    </Panel>
  );
}
