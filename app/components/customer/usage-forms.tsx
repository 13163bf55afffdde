/**
 * The customer page's manual usage forms (record an event, set a total), sent exactly once under an
 * idempotency key (docs/decisions/0007-exactly-once-writes.md).
 */

import { Await } from "@remix-run/react";
import { Suspense, useId, useState } from "react";
import type { PanelResult } from "~/contracts/customer-view";
import { FormAlert, FormField } from "~/components/form-field";
import { ModeBanner } from "~/components/mode-banner";
import { ReasonFields } from "~/components/ops/reason-fields";
import { useOpsForm } from "~/components/ops/use-ops-form";
import { Toast, useToast, type ToastTone } from "~/components/toast";
import { formatCount, formatUtc, unitLabel } from "~/contracts/format";
import { USAGE_REASONS, type FieldErrors } from "~/contracts/ops-forms";
import type { UsagePanel } from "~/contracts/ops-panels";
import type { OpsWriteResult } from "~/contracts/ops-results";
import "~/styles/ops-forms.css";

type Intent = "record" | "set";

const KEY_PREFIX = { record: "usage", set: "usage-set" } as const;

/** The manual usage forms under the Features & usage panel (roles with usage:write only). */
export function UsageFormsSection({
  customerRef,
  resolve,
  initialKeys,
}: {
  customerRef: string;
  resolve: Promise<PanelResult<UsagePanel | null>>;
  initialKeys: { record: string; set: string };
}) {
  return (
    <Suspense fallback={<p className="muted ops-form">Loading the usage forms…</p>}>
      <Await resolve={resolve} errorElement={<p className="form-alert ops-form">The usage forms could not load.</p>}>
        {(result) =>
          !result.ok ? (
            <p className="form-alert ops-form" role="alert">
              The usage forms could not load: {result.problem.message}
            </p>
          ) : result.data ? (
            <UsageForms customerRef={customerRef} panel={result.data} initialKeys={initialKeys} />
          ) : (
            <p className="muted ops-form">No active subscription: there is no period to record usage in.</p>
          )
        }
      </Await>
    </Suspense>
  );
}

/**
 * Manual usage (usage:write): record an event and set the exact period total, each posting through
 * its own fetcher with the idempotency key generated when the form was rendered (shown, editable).
 * A success gives the form a new key; the same key submitted again answers "already recorded …".
 */
export function UsageForms({
  customerRef,
  panel,
  initialKeys,
}: {
  customerRef: string;
  panel: UsagePanel;
  initialKeys: { record: string; set: string };
}) {
  const { toast, show, dismiss } = useToast();
  if (panel.features.length === 0) {
    return <p className="muted ops-form">No usage features on this customer&rsquo;s plan: nothing to record.</p>;
  }
  return (
    <div className="ops-forms" data-testid="usage-forms">
      <UsageForm
        intent="record"
        customerRef={customerRef}
        panel={panel}
        initialKey={initialKeys.record}
        onOutcome={show}
      />
      <UsageForm intent="set" customerRef={customerRef} panel={panel} initialKey={initialKeys.set} onOutcome={show} />
      <Toast toast={toast} onDismiss={dismiss} label="Usage result" />
    </div>
  );
}

/** "2026-11-21T10:00" for a datetime-local bound (the console's times are UTC). */
const localUtc = (iso: string) => new Date(iso).toISOString().slice(0, 16);

function UsageForm({
  intent,
  customerRef,
  panel,
  initialKey,
  onOutcome,
}: {
  intent: Intent;
  customerRef: string;
  panel: UsagePanel;
  initialKey: string;
  onOutcome: (tone: ToastTone, text: string) => void;
}) {
  const id = useId();
  const [featureCode, setFeatureCode] = useState(panel.features[0]?.code ?? "");
  const [amount, setAmount] = useState("");
  const [eventTime, setEventTime] = useState("");
  const [reasonCode, setReasonCode] = useState("");
  const [reasonText, setReasonText] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [notice, setNotice] = useState<{ tone: ToastTone; text: string } | null>(null);

  const { fetcher, key, setKey, busy, disabled, guard } = useOpsForm<OpsWriteResult>({
    fetcherKey: `usage-${intent}:${customerRef}`,
    keyPrefix: KEY_PREFIX[intent],
    initialKey,
    onResult(result) {
      const outcome = (tone: ToastTone, text: string) => {
        setNotice({ tone, text });
        onOutcome(tone, text);
      };
      switch (result.kind) {
        case "field_errors":
          setErrors(result.fieldErrors);
          setNotice(null);
          return;
        case "ok":
          setErrors({});
          setAmount("");
          setEventTime("");
          setReasonText("");
          outcome("success", result.eventId ? `${result.message} (event ${result.eventId})` : result.message);
          return;
        case "already_recorded":
          setErrors({});
          outcome("info", result.message);
          return;
        case "sent_for_approval":
          // Held by the approval policy: nothing reached Commet; the inbox has the request.
          setErrors({});
          setAmount("");
          setEventTime("");
          setReasonText("");
          outcome("info", result.message);
          return;
        case "previous_failed":
          outcome("error", `${result.message} A new key was generated.`);
          return;
        default:
          // The key stays: submitting the same form again resolves an unknown outcome, never twice.
          outcome("error", result.message);
      }
    },
  });

  const feature = panel.features.find((f) => f.code === featureCode);
  const record = intent === "record";

  const periodStart = panel.period ? formatUtc(panel.period.start) : null;
  const unit = unitLabel(2, feature?.unitName ?? "unit");
  return (
    <section className="ops-form" aria-labelledby={`${id}-title`} data-testid={`usage-${intent}`}>
      <h3 className="ops-form__title" id={`${id}-title`}>
        {record ? "Record usage" : "Set period usage"}
      </h3>
      <p className="field-hint ops-form__intro">
        {record
          ? "Adds one usage event to the current period."
          : "Replaces this period's total for a feature (a correction): the total becomes exactly this value."}
      </p>
      <fetcher.Form
        method="post"
        action={`/customers/${encodeURIComponent(customerRef)}/usage`}
        className="ops-form__grid"
        noValidate
        onSubmit={guard}
      >
        <FormAlert message={errors._form?.[0]} />
        <FormField
          id={`${id}-feature`}
          label="Feature"
          errors={errors.featureCode}
          hint={
            feature?.current !== null && feature?.current !== undefined
              ? `This period so far: ${formatCount(feature.current)} ${unit}`
              : undefined
          }
        >
          {(control) => (
            <select
              {...control}
              name="featureCode"
              value={featureCode}
              onChange={(e) => setFeatureCode(e.target.value)}
            >
              {panel.features.map((f) => (
                <option key={f.code} value={f.code}>
                  {f.name} ({f.code})
                </option>
              ))}
            </select>
          )}
        </FormField>
        <FormField
          id={`${id}-amount`}
          label={record ? `Quantity (${unit})` : `Period total (${unit})`}
          errors={record ? errors.quantity : errors.value}
          hint={feature?.allowsDecimals ? "Decimals allowed" : "Whole numbers"}
        >
          {(control) => (
            <input
              {...control}
              name={record ? "quantity" : "value"}
              inputMode={feature?.allowsDecimals ? "decimal" : "numeric"}
              autoComplete="off"
              value={amount}
              onChange={(e) => setAmount(e.target.value)}
            />
          )}
        </FormField>
        {record ? (
          <FormField
            id={`${id}-time`}
            label="Event time (UTC)"
            errors={errors.eventTime}
            hint={`Empty = now. Not in the future${periodStart ? `; not before the current period started (${periodStart})` : ""}.`}
          >
            {(control) => (
              <input
                {...control}
                type="datetime-local"
                name="eventTime"
                min={panel.period ? localUtc(panel.period.start) : undefined}
                value={eventTime}
                onChange={(e) => setEventTime(e.target.value)}
              />
            )}
          </FormField>
        ) : null}
        <ReasonFields
          id={id}
          reasons={USAGE_REASONS}
          errors={errors}
          code={reasonCode}
          text={reasonText}
          onCode={setReasonCode}
          onText={setReasonText}
        />
        <FormField
          id={`${id}-key`}
          label="Idempotency key"
          errors={errors.idempotencyKey}
          hint="Generated for this entry; paste a ticket-derived key (e.g. ticket-4812) to tie it to a ticket. The same key never records twice."
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
        <div className="ops-form__footer">
          {panel.livemode ? (
            <span className="confirm-dialog__live" data-testid="live-warning">
              <ModeBanner livemode /> Records real usage: the customer is billed for it.
            </span>
          ) : null}
          <button type="submit" name="intent" value={intent} className="button button--primary" disabled={disabled}>
            {busy ? (record ? "Recording…" : "Setting…") : record ? "Record usage" : "Set period total"}
          </button>
        </div>
        {notice ? (
          <p className={`ops-form__notice ops-form__notice--${notice.tone}`} data-testid={`usage-${intent}-outcome`}>
            {notice.text}
          </p>
        ) : null}
      </fetcher.Form>
    </section>
  );
}
