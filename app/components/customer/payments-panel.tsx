/**
 * The customer page's Payments panel: the customer's charges (refunded, disputed and failed marked),
 * and the payment actions each role may use — retry a failed renewal, refund a charge, send a
 * recovery link for a past-due subscription — each sent exactly once under an idempotency key.
 */

import { useEffect, useId, useRef, useState } from "react";
import type { PanelResult } from "~/contracts/customer-view";
import { formatDate, formatUtc } from "~/contracts/format";
import { formatMinor } from "~/contracts/money";
import type { FieldErrors } from "~/contracts/ops-forms";
import {
  REFUND_REASONS,
  RETRY_REASONS,
  type PaymentActionResult,
  type PaymentsPanelData,
  type RecoveryActionResult,
  type TransactionView,
} from "~/contracts/payments";
import { FormAlert } from "~/components/form-field";
import { ReasonFields } from "~/components/ops/reason-fields";
import { useOpsForm } from "~/components/ops/use-ops-form";
import { Toast, useToast } from "~/components/toast";
import { StatusBadge } from "../status-badge";
import { Panel } from "./panel";
import { CopyButton } from "./portal-link";
import "~/styles/ops-forms.css";
import "~/styles/payments.css";

export interface PaymentsPanelProps {
  customerRef: string;
  resolve: Promise<PanelResult<PaymentsPanelData>>;
  can: { retry: boolean; refund: boolean; recovery: boolean };
  keys: { retry: string; refund: string; recovery: string };
}

const amountOf = (t: Pick<TransactionView, "amount" | "currency">) =>
  t.amount === null ? "—" : formatMinor(t.amount, t.currency);

export function PaymentsPanel({ customerRef, resolve, can, keys }: PaymentsPanelProps) {
  return (
    <Panel title="Payments" name="payments" resolve={resolve} skeletonRows={4} className="panel--wide">
      {(data) => <PaymentsContent customerRef={customerRef} data={data} can={can} keys={keys} />}
    </Panel>
  );
}

function PaymentsContent({
  customerRef,
  data,
  can,
  keys,
}: Omit<PaymentsPanelProps, "resolve"> & { data: PaymentsPanelData }) {
  const [retrying, setRetrying] = useState<TransactionView | null>(null);
  const [refunding, setRefunding] = useState<TransactionView | null>(null);
  const { transactions } = data;
  const withActions = can.retry || can.refund;
  return (
    <>
      {data.pastDue ? (
        <div className="payments-past-due" data-testid="past-due">
          <p>
            <StatusBadge status="past_due" /> The <strong>{data.pastDue.planName}</strong> subscription is past due: its
            last renewal charge failed.
          </p>
          {can.recovery ? (
            <RecoveryLink customerRef={customerRef} pastDue={data.pastDue} initialKey={keys.recovery} />
          ) : null}
        </div>
      ) : null}
      {transactions.length === 0 ? (
        <p className="muted">No payments yet: Commet has no charge for {data.customerEmail}.</p>
      ) : (
        <div className="table-scroll" role="region" aria-label="Payments" tabIndex={0}>
          <table className="mini-table payments-table" data-testid="payments-table">
            <caption className="visually-hidden">Payments of this customer, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col">Status</th>
                <th scope="col">Invoice</th>
                <th scope="col">Failure reason</th>
                {withActions ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {transactions.map((t) => (
                <tr key={t.id} data-transaction={t.id} data-status={t.status} className={`payment-row--${t.status}`}>
                  <td>
                    <time dateTime={t.createdAt} title={formatUtc(Date.parse(t.createdAt))}>
                      {formatDate(t.createdAt)}
                    </time>
                  </td>
                  <td className="num">{amountOf(t)}</td>
                  <td>
                    <StatusBadge status={t.status} />
                  </td>
                  <td>
                    {t.invoiceNumber ?? (t.invoiceId ? <code>{t.invoiceId}</code> : <span className="muted">—</span>)}
                    {t.invoiceStatus && t.status === "failed" ? (
                      <span className="muted"> ({t.invoiceStatus})</span>
                    ) : null}
                  </td>
                  <td>
                    {t.status === "failed" ? (
                      (t.failureReason ?? (
                        <span
                          className="muted"
                          title="Commet reports the reason in its payment.failed webhook; none was received for this invoice"
                        >
                          Not reported
                        </span>
                      ))
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  {withActions ? (
                    <td className="payment-actions">
                      {can.retry && t.retryable ? (
                        <button type="button" className="button button--small" onClick={() => setRetrying(t)}>
                          Retry charge
                        </button>
                      ) : null}
                      {can.refund && t.refundable ? (
                        <button type="button" className="button button--small" onClick={() => setRefunding(t)}>
                          Refund…
                        </button>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data.truncated ? (
        <p className="muted">
          Commet has more charges for this customer than the {transactions.length} read here (its first pages of{" "}
          {data.customerEmail}&rsquo;s transactions).
        </p>
      ) : null}
      {can.retry ? (
        <PaymentDialog
          kind="retry"
          customerRef={customerRef}
          transaction={retrying}
          onClose={() => setRetrying(null)}
          initialKey={keys.retry}
        />
      ) : null}
      {can.refund ? (
        <PaymentDialog
          kind="refund"
          customerRef={customerRef}
          transaction={refunding}
          onClose={() => setRefunding(null)}
          initialKey={keys.refund}
        />
      ) : null}
    </>
  );
}

const DIALOG = {
  retry: {
    title: "Retry this renewal charge",
    path: "payment-retry",
    reasons: RETRY_REASONS,
    submit: "Retry charge",
    busy: "Retrying…",
    prefix: "retry",
  },
  refund: {
    title: "Refund this payment",
    path: "refund",
    reasons: REFUND_REASONS,
    submit: "Refund in full",
    busy: "Refunding…",
    prefix: "refund",
  },
} as const;

/** The confirmation of a retry or a refund: what happens, a reason, then one exactly-once submission. */
function PaymentDialog({
  kind,
  customerRef,
  transaction,
  onClose,
  initialKey,
}: {
  kind: "retry" | "refund";
  customerRef: string;
  transaction: TransactionView | null;
  onClose: () => void;
  initialKey: string;
}) {
  const spec = DIALOG[kind];
  const id = useId();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const { toast, show, dismiss } = useToast();
  const [reasonCode, setReasonCode] = useState("");
  const [reasonText, setReasonText] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const { fetcher, key, disabled, busy, guard } = useOpsForm<PaymentActionResult>({
    fetcherKey: `${kind}:${customerRef}`,
    keyPrefix: spec.prefix,
    initialKey,
    onResult(result) {
      if (result.kind === "field_errors") {
        setErrors(result.fieldErrors);
        return;
      }
      dialogRef.current?.close();
      if (result.kind === "ok" || result.kind === "already_recorded") {
        setReasonCode("");
        setReasonText("");
        setErrors({});
        const done =
          kind === "retry"
            ? "Retry requested: Commet is charging the card again; the outcome appears here when Commet reports it."
            : "Refunded.";
        show(
          result.kind === "ok" ? "success" : "info",
          result.kind === "ok" ? `${done} ${result.message}` : result.message,
        );
        return;
      }
      show("error", result.message);
    },
  });

  useEffect(() => {
    const dialog = dialogRef.current;
    if (transaction && dialog && !dialog.open) {
      setErrors({});
      dialog.showModal();
    }
  }, [transaction]);

  const amount = transaction ? amountOf(transaction) : "";
  return (
    <>
      <dialog
        ref={dialogRef}
        className="confirm-dialog"
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-effect`}
        onClose={onClose}
        data-testid={`${kind}-dialog`}
      >
        {transaction ? (
          <fetcher.Form
            method="post"
            action={`/customers/${encodeURIComponent(customerRef)}/${spec.path}`}
            noValidate
            onSubmit={guard}
            className="payment-dialog"
          >
            <input type="hidden" name="transactionId" value={transaction.id} />
            <input type="hidden" name="idempotencyKey" value={key} />
            {kind === "refund" ? <input type="hidden" name="seenAmount" value={transaction.amount ?? ""} /> : null}
            <h2 id={`${id}-title`} className="confirm-dialog__title">
              {spec.title}
            </h2>
            <dl className="confirm-dialog__facts">
              <div>
                <dt>Charge</dt>
                <dd>
                  {amount} on {formatDate(transaction.createdAt)}
                  {transaction.invoiceNumber ? ` · ${transaction.invoiceNumber}` : ""}
                </dd>
              </div>
            </dl>
            <p id={`${id}-effect`} className="confirm-dialog__effect" data-testid={`${kind}-effect`}>
              {kind === "retry"
                ? `Commet charges the customer's card ${amount} again for this renewal. The result arrives a moment later: the subscription becomes active if the charge succeeds.`
                : `Refund ${amount} in full to the customer.` +
                  (transaction.endsSubscription
                    ? " This charge paid a subscription invoice: a full refund ends the subscription immediately."
                    : transaction.subscriptionInvoice
                      ? " The subscription this charge paid for has ended already."
                      : "")}
            </p>
            <FormAlert message={errors._form?.[0] ?? errors.transactionId?.[0] ?? errors.seenAmount?.[0]} />
            <ReasonFields
              id={`${id}-${kind}`}
              reasons={spec.reasons}
              errors={errors}
              code={reasonCode}
              text={reasonText}
              onCode={setReasonCode}
              onText={setReasonText}
            />
            <p className="field-hint">
              Request key <code>{key}</code>
            </p>
            <div className="confirm-dialog__actions">
              <button type="button" className="button button--quiet" onClick={() => dialogRef.current?.close()}>
                Cancel
              </button>
              <button type="submit" className="button button--primary" disabled={disabled}>
                {busy ? spec.busy : kind === "refund" ? `Refund ${amount}` : spec.submit}
              </button>
            </div>
          </fetcher.Form>
        ) : null}
      </dialog>
      <Toast toast={toast} onDismiss={dismiss} label={kind === "retry" ? "Retry result" : "Refund result"} />
    </>
  );
}

type RecoveryShown = Extract<RecoveryActionResult, { kind: "ok" }>;

/** "Send a recovery link" (recovery:issue): the link and the message to send, shown here once. */
function RecoveryLink({
  customerRef,
  pastDue,
  initialKey,
}: {
  customerRef: string;
  pastDue: NonNullable<PaymentsPanelData["pastDue"]>;
  initialKey: string;
}) {
  const id = useId();
  const resultRef = useRef<HTMLDivElement>(null);
  const [shown, setShown] = useState<RecoveryShown | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const { fetcher, key, disabled, busy, guard } = useOpsForm<RecoveryActionResult>({
    fetcherKey: `recovery:${customerRef}`,
    keyPrefix: "recovery",
    initialKey,
    onResult(result) {
      if (result.kind === "ok") {
        setShown(result);
        setProblem(null);
        return;
      }
      setShown(null);
      setProblem(
        result.kind === "field_errors"
          ? (Object.values(result.fieldErrors).flat()[0] ?? result.message)
          : result.kind === "already_recorded"
            ? `${result.message}. The link is not shown again: send a new one if the customer needs it.`
            : result.message,
      );
    },
  });

  useEffect(() => {
    if (shown) resultRef.current?.focus();
  }, [shown]);

  return (
    <div className="recovery-link" data-testid="recovery">
      <fetcher.Form
        method="post"
        action={`/customers/${encodeURIComponent(customerRef)}/recovery`}
        onSubmit={guard}
        aria-label="Send a recovery link"
      >
        <input type="hidden" name="subscriptionId" value={pastDue.subscriptionId} />
        <input type="hidden" name="idempotencyKey" value={key} />
        <button type="submit" className="button button--small" disabled={disabled}>
          {busy ? "Creating the link…" : shown ? "Create another recovery link" : "Send a recovery link"}
        </button>{" "}
        <span className="field-hint">
          A signed link where the customer pays the outstanding renewal. Issuing one is recorded in the audit trail; the
          link is not.
        </span>
      </fetcher.Form>
      <FormAlert message={problem} testId="recovery-problem" />
      {shown ? (
        <div className="portal-result" ref={resultRef} tabIndex={-1} data-testid="recovery-result">
          <p className="notice" role="status">
            Recovery link created at {formatUtc(shown.at)}. It is shown only here, once: copy the message and send it to
            the customer now.
          </p>
          <label htmlFor={`${id}-url`} className="field-label">
            Recovery link
          </label>
          <div className="portal-result__row">
            <input
              id={`${id}-url`}
              className="portal-result__url"
              readOnly
              value={shown.recoveryUrl}
              onFocus={(e) => e.currentTarget.select()}
            />
            <CopyButton text={shown.recoveryUrl} label="Copy link" />
          </div>
          <label htmlFor={`${id}-message`} className="field-label">
            Message to send
          </label>
          <textarea
            id={`${id}-message`}
            className="portal-result__message"
            readOnly
            rows={7}
            value={shown.customerMessage}
          />
          <div className="portal-result__row">
            <CopyButton text={shown.customerMessage} label="Copy message" />
            <button type="button" className="button button--small button--quiet" onClick={() => setShown(null)}>
              Done — hide the link
            </button>
          </div>
        </div>
      ) : null}
    </div>
  );
}
