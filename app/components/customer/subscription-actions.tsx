/**
 * The customer page's Subscription actions panel: cancel at the period end (and revert), cancel now
 * with a typed confirmation, and change plan through Commet's quote — each written once under its own key.
 */

import { useFetcher } from "@remix-run/react";
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import type { z } from "zod";
import { FormAlert, FormField } from "~/components/form-field";
import { ModeBanner } from "~/components/mode-banner";
import { ReasonFields } from "~/components/ops/reason-fields";
import { useOpsForm } from "~/components/ops/use-ops-form";
import { Toast, useToast, type ToastTone } from "~/components/toast";
import type { PanelResult } from "~/contracts/customer-view";
import { formatDate, formatInterval } from "~/contracts/format";
import { formatMinor, formatRate } from "~/contracts/money";
import { parseForm, type FieldErrors } from "~/contracts/ops-forms";
import {
  CANCEL_NOW_WORD,
  CANCEL_REASONS,
  PLAN_CHANGE_REASONS,
  REVERT_REASONS,
  cancelFormSchema,
  cancelNowFormSchema,
  revertCancelFormSchema,
  type PlanChangePreview,
  type PlanOption,
  type SubscriptionActionResult,
  type SubscriptionActionsPanel as PanelData,
} from "~/contracts/subscription-actions";
import { Panel } from "./panel";
import "~/styles/ops-forms.css";

export interface SubscriptionActionsAccess {
  cancel: boolean;
  cancelNow: boolean;
  changePlan: boolean;
}

type Keys = { cancel: string; uncancel: string; cancelNow: string; plan: string };
type Show = (tone: ToastTone, text: string) => void;

const actionOf = (customerRef: string) => `/customers/${encodeURIComponent(customerRef)}/subscription`;

/** The forms of the panel and their fetchers (one key per form and customer). */
const FORMS = ["cancel", "uncancel", "cancel-now", "plan"] as const;
const fetcherKeyOf = (form: (typeof FORMS)[number], customerRef: string) => `${form}:${customerRef}`;

/** What a form does with an answer (dialog, field errors); the toast is the panel's (AnswerToast). */
function answerHandler(options: {
  close: () => void;
  setErrors: (errors: FieldErrors) => void;
  /** Field errors shown inside the dialog (it stays open for them). */
  dialogFields?: string[];
  onDone?: () => void;
  onPreview?: (preview: PlanChangePreview) => void;
}) {
  return (result: SubscriptionActionResult) => {
    const { close, setErrors } = options;
    switch (result.kind) {
      case "preview":
        setErrors({});
        options.onPreview?.(result.preview);
        return;
      case "field_errors":
        setErrors(result.fieldErrors);
        if (!options.dialogFields?.some((f) => result.fieldErrors[f])) close();
        return;
      case "ok":
      case "already_recorded":
        close();
        setErrors({});
        options.onDone?.();
        return;
      default:
        // stale, forbidden, in_progress, duplicate_unknown, commet_error, previous_failed: the key stays
        // (unless spent) — submitting the same action again resolves an unknown outcome without applying it twice.
        close();
    }
  };
}

/**
 * Shows each answer of one form's fetcher as a toast. It lives beside the panel, not in the form: a
 * successful action re-renders the panel (the cancel form becomes the revert form, a canceled
 * subscription leaves none) and the form that posted may be gone when its answer lands.
 */
function AnswerToast({ fetcherKey, show }: { fetcherKey: string; show: Show }) {
  const fetcher = useFetcher<SubscriptionActionResult>({ key: fetcherKey });
  const seen = useRef(fetcher.state === "idle" ? fetcher.data : undefined);
  useEffect(() => {
    const result = fetcher.data;
    if (fetcher.state !== "idle" || !result || result === seen.current) return;
    seen.current = result;
    if (result.kind === "preview" || result.kind === "field_errors") return;
    if (result.kind === "ok") show("success", result.message);
    else if (result.kind === "already_recorded") show("info", result.message);
    else if (result.kind === "previous_failed")
      show("error", `${result.message} A new request key was generated: try again.`);
    else show("error", result.message);
  }, [fetcher.state, fetcher.data, show]);
  return null;
}

/** The panel (roles with at least one subscription permission), streamed like the others. */
export function SubscriptionActionsPanel({
  customerRef,
  resolve,
  may,
  keys,
}: {
  customerRef: string;
  resolve: Promise<PanelResult<PanelData | null>>;
  may: SubscriptionActionsAccess;
  keys: Keys;
}) {
  const { toast, show, dismiss } = useToast();
  return (
    <>
      <Panel
        title="Subscription actions"
        name="subscription-actions"
        resolve={resolve}
        skeletonRows={4}
        className="panel--wide"
      >
        {(data) =>
          data ? (
            <SubscriptionActions customerRef={customerRef} data={data} may={may} keys={keys} />
          ) : (
            <p className="empty-state empty-state--inline">No active subscription: nothing to cancel or change.</p>
          )
        }
      </Panel>
      {FORMS.map((form) => (
        <AnswerToast key={form} fetcherKey={fetcherKeyOf(form, customerRef)} show={show} />
      ))}
      <Toast toast={toast} onDismiss={dismiss} label="Subscription action result" />
    </>
  );
}

function SubscriptionActions({
  customerRef,
  data,
  may,
  keys,
}: {
  customerRef: string;
  data: PanelData;
  may: SubscriptionActionsAccess;
  keys: Keys;
}) {
  const s = data.subscription;
  const hidden = { subscriptionId: s.id };
  const who = data.customer?.email ?? customerRef;
  return (
    <div className="sub-actions">
      <p className="sub-actions__state" data-testid="subscription-state">
        <strong>{s.planName}</strong>
        {s.billingInterval ? ` · every ${formatInterval(s.billingInterval)}` : ""} · {s.status.replace("_", " ")}
        {s.currentPeriod ? (
          <>
            {" "}
            · period ends <time dateTime={s.currentPeriod.end}>{formatDate(s.currentPeriod.end)}</time>
          </>
        ) : null}
      </p>
      {s.cancellation ? (
        <p className="notice notice--warn" data-testid="scheduled-cancellation">
          Cancellation scheduled: ends on{" "}
          <time dateTime={s.cancellation.effectiveAt}>{formatDate(s.cancellation.effectiveAt)}</time>
          {s.cancellation.reason ? ` (${s.cancellation.reason})` : ""}. It stays active until then.
        </p>
      ) : null}
      {s.scheduledPlanChange ? (
        <p className="notice" data-testid="scheduled-plan-change">
          Plan change scheduled:{" "}
          {s.scheduledPlanChange.changeType === "interval_change"
            ? "new billing interval"
            : `${s.planName} → ${s.scheduledPlanChange.newPlanName ?? "another plan"}`}{" "}
          on <time dateTime={s.scheduledPlanChange.scheduledFor}>{formatDate(s.scheduledPlanChange.scheduledFor)}</time>
          .
        </p>
      ) : null}
      {data.livemode ? (
        <p className="notice notice--bad">
          <ModeBanner livemode /> These actions change a real customer&rsquo;s billing.
        </p>
      ) : null}

      <div className="ops-forms">
        {may.cancel && s.cancellation ? (
          <ConfirmedAction
            customerRef={customerRef}
            intent="uncancel"
            keyPrefix="uncancel"
            initialKey={keys.uncancel}
            title="Revert the cancellation"
            intro={`${s.planName} continues on its current plan and period, as if never canceled.`}
            reasons={REVERT_REASONS}
            schema={revertCancelFormSchema}
            hidden={hidden}
            openLabel="Revert cancellation…"
            dialogTitle="Confirm revert"
            effect={`${who}: the cancellation on ${formatDate(s.cancellation.effectiveAt)} is withdrawn; ${s.planName} renews as usual.`}
            confirmLabel="Revert cancellation"
            busyLabel="Reverting…"
          />
        ) : null}
        {may.cancel && !s.cancellation ? (
          data.periodEndCancel.ok ? (
            <ConfirmedAction
              customerRef={customerRef}
              intent="cancel"
              keyPrefix="cancel"
              initialKey={keys.cancel}
              title="Cancel at the end of the period"
              intro={
                <>
                  Stays active until{" "}
                  <time dateTime={data.periodEndCancel.effectiveAt}>
                    {formatDate(data.periodEndCancel.effectiveAt)}
                  </time>
                  , then ends. Nothing is refunded.
                </>
              }
              reasons={CANCEL_REASONS}
              schema={cancelFormSchema}
              hidden={hidden}
              openLabel="Schedule cancellation…"
              dialogTitle="Confirm cancellation"
              effect={`${who}: ${s.planName} stays active until ${formatDate(data.periodEndCancel.effectiveAt)}, then ends. Nothing is refunded; the cancellation can be reverted until then.${s.scheduledPlanChange ? ` It replaces the scheduled change to ${s.scheduledPlanChange.newPlanName ?? "another plan"}.` : ""}`}
              confirmLabel="Schedule cancellation"
              busyLabel="Scheduling…"
            />
          ) : (
            <p className="muted ops-form" data-testid="no-period-end-cancel">
              No cancellation at the period end: {data.periodEndCancel.reason}
              {may.cancelNow ? " — use Cancel now below." : " — ops or an admin can cancel it now."}
            </p>
          )
        ) : null}
        {may.changePlan ? <PlanChangeForm customerRef={customerRef} data={data} initialKey={keys.plan} /> : null}
        {may.cancelNow ? (
          <ConfirmedAction
            customerRef={customerRef}
            intent="cancel-now"
            keyPrefix="cancel-now"
            initialKey={keys.cancelNow}
            title="Cancel now"
            intro="Ends the subscription and the customer's access immediately. Nothing is refunded."
            reasons={CANCEL_REASONS}
            schema={cancelNowFormSchema}
            hidden={hidden}
            openLabel="Cancel now…"
            dialogTitle="Confirm immediate cancellation"
            effect={`${who}: ${s.planName} ends now and access is revoked. This cannot be reverted (a new subscription would be needed).`}
            confirmLabel="Cancel subscription now"
            busyLabel="Canceling…"
            danger
            typedConfirmation={
              <>
                Type the customer&rsquo;s email
                {data.customer?.email ? (
                  <>
                    {" "}
                    (<code>{data.customer.email}</code>)
                  </>
                ) : null}{" "}
                or <code>{CANCEL_NOW_WORD}</code> to confirm
              </>
            }
          />
        ) : null}
      </div>
    </div>
  );
}

/**
 * An action with a reason and a confirmation: the form is checked in the browser with the same schema
 * the server uses, the confirmation states the effect, and only its button posts (intent) once.
 */
function ConfirmedAction(props: {
  customerRef: string;
  intent: "cancel" | "uncancel" | "cancel-now";
  keyPrefix: "cancel" | "uncancel" | "cancel-now";
  initialKey: string;
  title: string;
  intro: ReactNode;
  reasons: Record<string, string>;
  schema: z.ZodType;
  hidden: Record<string, string>;
  openLabel: string;
  dialogTitle: string;
  effect: string;
  confirmLabel: string;
  busyLabel: string;
  danger?: boolean;
  typedConfirmation?: ReactNode;
}) {
  const id = useId();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [reasonCode, setReasonCode] = useState("");
  const [reasonText, setReasonText] = useState("");
  const [confirmText, setConfirmText] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const close = () => dialogRef.current?.open && dialogRef.current.close();
  const { fetcher, key, busy, disabled, guard } = useOpsForm<SubscriptionActionResult>({
    fetcherKey: fetcherKeyOf(props.intent, props.customerRef),
    keyPrefix: props.keyPrefix,
    initialKey: props.initialKey,
    onResult: (result) =>
      answerHandler({
        close,
        setErrors,
        dialogFields: ["confirmText"],
        onDone() {
          setReasonCode("");
          setReasonText("");
          setConfirmText("");
        },
      })(result),
  });
  const fields = { ...props.hidden, reasonCode, reasonText, idempotencyKey: key };

  function open(event: FormEvent) {
    event.preventDefault();
    const parsed = parseForm(props.schema, { ...fields, customerId: props.customerRef });
    const { confirmText: _later, ...formErrors } = parsed.ok ? {} : parsed.fieldErrors;
    setErrors(formErrors);
    if (Object.keys(formErrors).length === 0) {
      setConfirmText("");
      dialogRef.current?.showModal();
    }
  }

  return (
    <div className="ops-form" data-testid={`sub-${props.intent}`}>
      <h3 className="ops-form__title">{props.title}</h3>
      <p className="muted ops-form__intro">{props.intro}</p>
      <form className="ops-form__grid" noValidate onSubmit={open} aria-label={props.title}>
        <FormAlert message={errors._form?.[0]} />
        <ReasonFields
          id={id}
          reasons={props.reasons}
          errors={errors}
          code={reasonCode}
          text={reasonText}
          onCode={setReasonCode}
          onText={setReasonText}
        />
        <div className="ops-form__footer">
          <button type="submit" className={props.danger ? "button button--danger" : "button"} disabled={disabled}>
            {props.openLabel}
          </button>
          <span className="field-hint">
            Request key <code>{key}</code>
          </span>
        </div>
      </form>
      <dialog
        ref={dialogRef}
        className="confirm-dialog"
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-effect`}
      >
        <fetcher.Form method="post" action={actionOf(props.customerRef)} noValidate onSubmit={guard}>
          {Object.entries(fields).map(([name, value]) => (
            <input key={name} type="hidden" name={name} value={value} />
          ))}
          <h2 id={`${id}-title`} className="confirm-dialog__title">
            {props.dialogTitle}
          </h2>
          <p id={`${id}-effect`} className="confirm-dialog__effect" data-testid={`${props.intent}-effect`}>
            {props.effect}
          </p>
          <p className="field-hint">
            Reason: {props.reasons[reasonCode] ?? reasonCode}
            {reasonText ? ` — ${reasonText}` : ""}
          </p>
          {props.typedConfirmation ? (
            <FormField id={`${id}-confirm`} label={props.typedConfirmation} errors={errors.confirmText}>
              {(control) => (
                <input
                  {...control}
                  name="confirmText"
                  autoComplete="off"
                  value={confirmText}
                  onChange={(e) => setConfirmText(e.target.value)}
                />
              )}
            </FormField>
          ) : null}
          <div className="confirm-dialog__actions">
            <button type="button" className="button button--quiet" onClick={close} disabled={disabled}>
              Back
            </button>
            <button
              type="submit"
              name="intent"
              value={props.intent}
              className={props.danger ? "button button--danger" : "button button--primary"}
              disabled={disabled}
              autoFocus={!props.typedConfirmation}
            >
              {busy ? props.busyLabel : props.confirmLabel}
            </button>
          </div>
        </fetcher.Form>
      </dialog>
    </div>
  );
}

function optionLabel(p: PlanOption): string {
  const price =
    p.price === null ? "" : ` — ${formatRate(p.price)}${p.interval ? `/${formatInterval(p.interval)}` : ""}`;
  const when =
    p.direction === "upgrade"
      ? "upgrade, now"
      : p.direction === "downgrade"
        ? "downgrade, at the period end"
        : "needs the customer's checkout";
  return `${p.name}${price} (${when})`;
}

/** Change plan: pick a plan of the group → Commet's quote (intent preview-plan, nothing written) → confirm. */
function PlanChangeForm({
  customerRef,
  data,
  initialKey,
}: {
  customerRef: string;
  data: PanelData;
  initialKey: string;
}) {
  const id = useId();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const s = data.subscription;
  const [planId, setPlanId] = useState("");
  const [reasonCode, setReasonCode] = useState("");
  const [reasonText, setReasonText] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [preview, setPreview] = useState<PlanChangePreview | null>(null);
  const close = () => dialogRef.current?.open && dialogRef.current.close();
  const { fetcher, key, busy, disabled, guard } = useOpsForm<SubscriptionActionResult>({
    fetcherKey: fetcherKeyOf("plan", customerRef),
    keyPrefix: "plan",
    initialKey,
    onResult: (result) =>
      answerHandler({
        close,
        setErrors,
        onPreview(p) {
          setPreview(p);
          if (!dialogRef.current?.open) dialogRef.current?.showModal();
        },
        onDone() {
          setPlanId("");
          setReasonCode("");
          setReasonText("");
        },
      })(result),
  });
  const fields = { subscriptionId: s.id, currentPlanId: s.planId, planId, reasonCode, reasonText, idempotencyKey: key };
  const action = actionOf(customerRef);

  if (!data.planGroup || data.plans.length === 0) {
    return (
      <div className="ops-form" data-testid="sub-change-plan">
        <h3 className="ops-form__title">Change plan</h3>
        <p className="muted">
          {data.planGroup
            ? `${s.planName} is the only plan of the ${data.planGroup} plan group.`
            : `${s.planName} is in no plan group: its plan cannot be changed here.`}
        </p>
      </div>
    );
  }

  return (
    <div className="ops-form" data-testid="sub-change-plan">
      <h3 className="ops-form__title">Change plan</h3>
      <p className="muted ops-form__intro">
        Plans of the {data.planGroup} group. Upgrades apply now, prorated; downgrades wait for the period end.
      </p>
      <fetcher.Form
        method="post"
        action={action}
        className="ops-form__grid"
        noValidate
        onSubmit={guard}
        aria-label="Change plan"
      >
        {Object.entries(fields)
          .filter(([name]) => !["planId", "reasonCode", "reasonText"].includes(name))
          .map(([name, value]) => (
            <input key={name} type="hidden" name={name} value={value} />
          ))}
        <FormAlert message={errors._form?.[0]} />
        <FormField id={`${id}-plan`} label="New plan" errors={errors.planId} hint={`Now on ${s.planName}`}>
          {(control) => (
            <select {...control} name="planId" value={planId} onChange={(e) => setPlanId(e.target.value)}>
              <option value="">Choose a plan…</option>
              {data.plans.map((p) => (
                <option key={p.id} value={p.id}>
                  {optionLabel(p)}
                </option>
              ))}
            </select>
          )}
        </FormField>
        <ReasonFields
          id={id}
          reasons={PLAN_CHANGE_REASONS}
          errors={errors}
          code={reasonCode}
          text={reasonText}
          onCode={setReasonCode}
          onText={setReasonText}
        />
        <div className="ops-form__footer">
          <button type="submit" name="intent" value="preview-plan" className="button" disabled={disabled}>
            {busy && !preview ? "Asking Commet…" : "Preview change"}
          </button>
          <span className="field-hint">
            Request key <code>{key}</code>
          </span>
        </div>
      </fetcher.Form>
      <dialog
        ref={dialogRef}
        className="confirm-dialog"
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-effect`}
        onClose={() => setPreview(null)}
      >
        {preview ? (
          <fetcher.Form method="post" action={action} noValidate onSubmit={guard}>
            {Object.entries(fields).map(([name, value]) => (
              <input key={name} type="hidden" name={name} value={value} />
            ))}
            <h2 id={`${id}-title`} className="confirm-dialog__title">
              {preview.timing === "now" ? "Confirm plan change" : "Confirm scheduled plan change"}
            </h2>
            {preview.livemode ? (
              <p className="confirm-dialog__live">
                <ModeBanner livemode /> This changes a real customer&rsquo;s billing.
              </p>
            ) : null}
            <PreviewFacts preview={preview} />
            <p id={`${id}-effect`} className="confirm-dialog__effect" data-testid="plan-effect">
              {preview.effect}
            </p>
            <p className="field-hint">Quoted by Commet just now; nothing has been changed yet.</p>
            <div className="confirm-dialog__actions">
              <button type="button" className="button button--quiet" onClick={close} disabled={disabled}>
                Back
              </button>
              <button
                type="submit"
                name="intent"
                value="change-plan"
                className="button button--primary"
                disabled={disabled}
                autoFocus
              >
                {busy
                  ? "Changing…"
                  : preview.timing === "now"
                    ? `Change to ${preview.to.name} now`
                    : "Schedule plan change"}
              </button>
            </div>
          </fetcher.Form>
        ) : null}
      </dialog>
    </div>
  );
}

function PreviewFacts({ preview }: { preview: PlanChangePreview }) {
  const money = (n: number | null) => (n === null ? "—" : formatMinor(n, preview.currency));
  return (
    <dl className="confirm-dialog__facts confirm-dialog__facts--wide">
      <div>
        <dt>Plan</dt>
        <dd data-testid="plan-arrow">
          {preview.from.name} → {preview.to.name}
        </dd>
      </div>
      {preview.timing === "now" ? (
        <>
          <div>
            <dt>Credit for unused days</dt>
            <dd data-testid="plan-credit">−{money(preview.credit)}</dd>
          </div>
          <div>
            <dt>Charge for {preview.to.name}</dt>
            <dd data-testid="plan-charge">{money(preview.charge)}</dd>
          </div>
          <div>
            <dt>Total charged now</dt>
            <dd data-testid="plan-total">
              <strong>{money(preview.total)}</strong>
            </dd>
          </div>
          <div>
            <dt>Effective</dt>
            <dd data-testid="plan-effective">
              <time dateTime={preview.effectiveDate}>{formatDate(preview.effectiveDate)}</time> (now)
            </dd>
          </div>
        </>
      ) : (
        <div>
          <dt>Scheduled for</dt>
          <dd data-testid="plan-effective">
            <time dateTime={preview.effectiveDate}>{formatDate(preview.effectiveDate)}</time> (end of the period, no
            charge now)
          </dd>
        </div>
      )}
    </dl>
  );
}
