/**
 * The customer page's seat change form: set, add or remove seats, sent exactly once under an idempotency
 * key (docs/decisions/0007-exactly-once-writes.md).
 */

import { Await } from "@remix-run/react";
import { Suspense, useId, useRef, useState } from "react";
import type { PanelResult } from "~/contracts/customer-view";
import { FormAlert, FormField } from "~/components/form-field";
import { ModeBanner } from "~/components/mode-banner";
import { ReasonFields } from "~/components/ops/reason-fields";
import { useOpsForm } from "~/components/ops/use-ops-form";
import { Toast, useToast } from "~/components/toast";
import { formatCount } from "~/contracts/format";
import { SEAT_OPS, SEAT_REASONS, seatTarget, type FieldErrors, type SeatOp } from "~/contracts/ops-forms";
import { parseNumberInput } from "~/contracts/number-input";
import type { SeatPanel } from "~/contracts/ops-panels";
import type { SeatActionResult, SeatPreview } from "~/contracts/ops-results";
import "~/styles/ops-forms.css";

const OP_LABELS: Record<SeatOp, string> = { set: "Set exact", add: "Add", remove: "Remove" };

/**
 * The seat change form under the Seats panel (roles with seats:write only), once `loadSeatPanel`
 * answers: the plan's seat types with the counts the form starts from.
 */
export function SeatChangeSection({
  customerRef,
  resolve,
  initialKey,
}: {
  customerRef: string;
  resolve: Promise<PanelResult<SeatPanel | null>>;
  initialKey: string;
}) {
  return (
    <Suspense fallback={<p className="muted ops-form">Loading the seat change form…</p>}>
      <Await
        resolve={resolve}
        errorElement={<p className="form-alert ops-form">The seat change form could not load.</p>}
      >
        {(result) =>
          !result.ok ? (
            <p className="form-alert ops-form" role="alert">
              The seat change form could not load: {result.problem.message}
            </p>
          ) : result.data ? (
            <SeatChangeForm customerRef={customerRef} panel={result.data} initialKey={initialKey} />
          ) : (
            <p className="muted ops-form">No active subscription: seats cannot be changed.</p>
          )
        }
      </Await>
    </Suspense>
  );
}

/**
 * Change seats (seats:write): set exact / add / remove for one seat type, with a reason. Two steps
 * through one fetcher: intent=preview answers the effect ("Editor seats 5 → 8; prorated charge …"),
 * shown in a modal <dialog>; intent=apply writes with the same idempotency key. The form carries the
 * count the staffer saw (`seenCount`): a change made meanwhile is refused with the fresh count.
 */
export function SeatChangeForm({
  customerRef,
  panel,
  initialKey,
}: {
  customerRef: string;
  panel: SeatPanel;
  initialKey: string;
}) {
  const { toast, show, dismiss } = useToast();
  const id = useId();
  const dialogRef = useRef<HTMLDialogElement>(null);

  const first = panel.seatTypes[0]?.code ?? "";
  const [seatType, setSeatType] = useState(first);
  const [op, setOp] = useState<SeatOp>("add");
  const [quantity, setQuantity] = useState("");
  const [reasonCode, setReasonCode] = useState("");
  const [reasonText, setReasonText] = useState("");
  const [confirmEmail, setConfirmEmail] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [preview, setPreview] = useState<SeatPreview | null>(null);
  const [stale, setStale] = useState<string | null>(null);
  // Fresh counts learnt from the server (a stale refusal, a write) until the panel reloads.
  const [fresh, setFresh] = useState<Record<string, number>>({});
  const [freshFor, setFreshFor] = useState(panel);
  if (freshFor !== panel) {
    setFreshFor(panel);
    setFresh({});
  }

  const { fetcher, key, busy, disabled, guard } = useOpsForm<SeatActionResult>({
    fetcherKey: `seats:${customerRef}`,
    keyPrefix: "seats",
    initialKey,
    onResult(result) {
      const close = () => dialogRef.current?.open && dialogRef.current.close();
      switch (result.kind) {
        case "preview":
          setErrors({});
          setStale(null);
          setPreview(result.preview);
          setConfirmEmail("");
          if (!dialogRef.current?.open) dialogRef.current?.showModal();
          return;
        case "stale":
          close();
          setPreview(null);
          setFresh((f) => ({ ...f, [result.seatType]: result.current }));
          setStale(
            `${result.message}. The form now starts from ${result.current}: check the change and preview it again.`,
          );
          show("error", result.message);
          return;
        case "field_errors":
          setErrors(result.fieldErrors);
          // A missing or wrong confirmation email is answered inside the dialog; anything else on the form.
          if (!result.fieldErrors.confirmEmail) {
            close();
            setPreview(null);
          }
          return;
        case "ok":
        case "already_recorded":
          close();
          setPreview(null);
          setErrors({});
          setStale(null);
          setQuantity("");
          setReasonCode("");
          setReasonText("");
          show(result.kind === "ok" ? "success" : "info", result.message);
          return;
        case "sent_for_approval":
          // Held by the approval policy: nothing reached Commet; the inbox has the request.
          close();
          setPreview(null);
          setErrors({});
          setStale(null);
          setQuantity("");
          setReasonCode("");
          setReasonText("");
          show("info", result.message);
          return;
        case "previous_failed":
          close();
          show("error", `${result.message} A new request key was generated: preview the change again.`);
          return;
        default:
          // forbidden, in_progress, duplicate_unknown, commet_error: the key stays — submitting the
          // same change again resolves an unknown outcome without applying it twice.
          close();
          show("error", result.message);
      }
    },
  });

  const selected = panel.seatTypes.find((s) => s.code === seatType);
  const seenCount = fresh[seatType] ?? selected?.current ?? 0;
  const action = `/customers/${encodeURIComponent(customerRef)}/seats`;

  if (panel.seatTypes.length === 0) return null;
  const typed = parseNumberInput(quantity);
  const target = typed.ok ? seatTarget(op, seenCount, typed.value) : null;
  const fields = { seatType, op, quantity, seenCount: String(seenCount), reasonCode, reasonText, idempotencyKey: key };

  return (
    <div className="ops-form" data-testid="seat-change">
      <h3 className="ops-form__title">Change seats</h3>
      <fetcher.Form
        method="post"
        action={action}
        className="ops-form__grid"
        noValidate
        onSubmit={guard}
        aria-label="Change seats"
      >
        <input type="hidden" name="seenCount" value={seenCount} />
        <input type="hidden" name="idempotencyKey" value={key} />
        <FormAlert message={stale} testId="seat-stale" />
        <FormAlert message={errors._form?.[0]} />
        <FormField
          id={`${id}-type`}
          label="Seat type"
          errors={errors.seatType}
          hint={
            <>
              Current count: <strong data-testid="seat-seen">{formatCount(seenCount)}</strong>
            </>
          }
        >
          {(control) => (
            <select {...control} name="seatType" value={seatType} onChange={(e) => setSeatType(e.target.value)}>
              {panel.seatTypes.map((s) => (
                <option key={s.code} value={s.code}>
                  {s.name} ({s.code})
                </option>
              ))}
            </select>
          )}
        </FormField>
        <fieldset className="field ops-form__ops" aria-describedby={errors.op ? `${id}-op-error` : undefined}>
          <legend>Change</legend>
          <div className="segmented">
            {SEAT_OPS.map((o) => (
              <label key={o} className="segmented__option">
                <input type="radio" name="op" value={o} checked={op === o} onChange={() => setOp(o)} />
                {OP_LABELS[o]}
              </label>
            ))}
          </div>
          {errors.op ? (
            <p className="field-error" id={`${id}-op-error`}>
              {errors.op[0]}
            </p>
          ) : null}
        </fieldset>
        <FormField
          id={`${id}-qty`}
          label={op === "set" ? "New seat count" : "Seats"}
          errors={errors.quantity}
          hint={target !== null && target >= 0 ? `${formatCount(seenCount)} → ${formatCount(target)}` : undefined}
        >
          {(control) => (
            <input
              {...control}
              name="quantity"
              inputMode="numeric"
              autoComplete="off"
              value={quantity}
              onChange={(e) => setQuantity(e.target.value)}
            />
          )}
        </FormField>
        <ReasonFields
          id={id}
          reasons={SEAT_REASONS}
          errors={errors}
          code={reasonCode}
          text={reasonText}
          onCode={setReasonCode}
          onText={setReasonText}
        />
        <div className="ops-form__footer">
          <button type="submit" name="intent" value="preview" className="button" disabled={disabled}>
            {busy && !preview ? "Checking…" : "Preview change"}
          </button>
          <span className="field-hint">
            Request key <code data-testid="seat-key">{key}</code>
          </span>
        </div>
      </fetcher.Form>

      <dialog
        ref={dialogRef}
        className="confirm-dialog"
        aria-labelledby={`${id}-confirm-title`}
        aria-describedby={`${id}-confirm-effect`}
        onClose={() => setPreview(null)}
      >
        {preview ? (
          <fetcher.Form method="post" action={action} noValidate onSubmit={guard}>
            {Object.entries(fields).map(([name, value]) => (
              <input key={name} type="hidden" name={name} value={value} />
            ))}
            <h2 id={`${id}-confirm-title`} className="confirm-dialog__title">
              Confirm seat change
            </h2>
            {preview.livemode ? (
              <p className="confirm-dialog__live" data-testid="live-warning">
                <ModeBanner livemode /> This changes a real customer&rsquo;s billing.
              </p>
            ) : null}
            <dl className="confirm-dialog__facts">
              <div>
                <dt>Customer</dt>
                <dd>{panel.customer?.email ?? customerRef}</dd>
              </div>
              <div>
                <dt>Reason</dt>
                <dd>
                  {SEAT_REASONS[reasonCode as keyof typeof SEAT_REASONS] ?? reasonCode}
                  {reasonText ? ` — ${reasonText}` : ""}
                </dd>
              </div>
              {preview.livemode ? null : (
                <div>
                  <dt>Mode</dt>
                  <dd>
                    <ModeBanner livemode={false} />
                  </dd>
                </div>
              )}
            </dl>
            <p id={`${id}-confirm-effect`} className="confirm-dialog__effect" data-testid="seat-effect">
              {preview.effect}
            </p>
            {preview.direction === "decrease" ? (
              <p className="field-hint">Removed seats stay usable until the period ends; nothing is refunded.</p>
            ) : null}
            {preview.needsEmailConfirmation ? (
              <FormField
                id={`${id}-email`}
                label={
                  <>
                    This is a large change: type the customer&rsquo;s email
                    {panel.customer?.email ? (
                      <>
                        {" "}
                        (<code>{panel.customer.email}</code>)
                      </>
                    ) : null}{" "}
                    to confirm
                  </>
                }
                errors={errors.confirmEmail}
              >
                {(control) => (
                  <input
                    {...control}
                    name="confirmEmail"
                    type="email"
                    autoComplete="off"
                    value={confirmEmail}
                    onChange={(e) => setConfirmEmail(e.target.value)}
                  />
                )}
              </FormField>
            ) : null}
            <div className="confirm-dialog__actions">
              <button
                type="button"
                className="button button--quiet"
                onClick={() => dialogRef.current?.close()}
                disabled={disabled}
              >
                Cancel
              </button>
              <button
                type="submit"
                name="intent"
                value="apply"
                className="button button--primary"
                disabled={disabled}
                autoFocus
              >
                {busy ? "Applying…" : "Apply change"}
              </button>
            </div>
          </fetcher.Form>
        ) : null}
      </dialog>
      <Toast toast={toast} onDismiss={dismiss} label="Seat change result" />
    </div>
  );
}
