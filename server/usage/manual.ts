/**
 * Manual usage (ops, admin): record one usage event, or set the current period's total exactly.
 * Both are exactly-once writes keyed by the form's idempotency key (server/writes).
 */
import {
  USAGE_REASONS,
  parseEventTime,
  parseForm,
  usageRecordFormSchema,
  usageRecordSchemaFor,
  usageSetFormSchema,
  usageSetSchemaFor,
  type UsageFormContext,
} from "../../app/contracts/ops-forms.ts";
import type { UsagePanel } from "../../app/contracts/ops-panels.ts";
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import { redactText } from "../audit/index.ts";
import type { Role } from "../../app/contracts/permissions.ts";
import { loadBillingContext, periodStartOf, usageFeaturesOf, type BillingContext } from "../billing/index.ts";
import { admit, fieldErrors, readFailure, writeEngineFor, type Staff, type WriteEngine } from "../writes/index.ts";
import { usageRecordWrite, usageSetWrite } from "./write-actions.ts";

export interface UsageWriteInput {
  actor: Staff["actor"];
  role: Role | null;
  /** The submitted form (FormData or its fields). */
  form: FormData | Record<string, unknown>;
}

const noSubscription = (customerId: string): WriteResult => ({
  kind: "field_errors",
  fieldErrors: { _form: [`Customer ${customerId} has no active subscription: there is no period to record usage in`] },
  message: "No active subscription",
});

async function contextOrError(engine: WriteEngine, customerId: string): Promise<BillingContext | WriteResult> {
  try {
    const loaded = await loadBillingContext(engine.commet(), customerId);
    return loaded.ok ? loaded.context : noSubscription(customerId);
  } catch (error) {
    return readFailure(error, engine.commetUrl());
  }
}

export function usageFormContext(context: BillingContext, now: Date): UsageFormContext | null {
  const periodStart = periodStartOf(context);
  return periodStart ? { features: usageFeaturesOf(context.plan), periodStart, now } : null;
}

function reasonNote(code: keyof typeof USAGE_REASONS, text: string): string {
  return (text ? `${USAGE_REASONS[code]}: ${text}` : USAGE_REASONS[code]).slice(0, 500);
}

/**
 * Records one usage event: feature of the plan, quantity (> 0, bounded, whole unless the unit
 * allows decimals), event time (default now; not in the future; not before the period start),
 * reason, idempotency key. The key is the Idempotency-Key and the event's idempotencyKey.
 */
export async function recordManualUsage(input: UsageWriteInput, engine?: WriteEngine): Promise<WriteResult> {
  const writes = writeEngineFor(engine);
  const admitted = admit(
    input.role,
    "usage:write",
    usageRecordFormSchema,
    input.form,
    "Your role may not record usage",
  );
  if (!admitted.ok) return admitted.result;
  const form = admitted.form;
  const staff = { actor: input.actor, role: input.role };
  const normalized = { ...form, eventTime: form.eventTime ?? null };

  return writes.keyed(
    {
      action: usageRecordWrite,
      idempotencyKey: form.idempotencyKey,
      customerId: form.customerId,
      identity: normalized,
    },
    async (): Promise<WriteResult> => {
      const context = await contextOrError(writes, form.customerId);
      if ("kind" in context) return context;
      const now = new Date(writes.now());
      const formContext = usageFormContext(context, now);
      if (!formContext) return noSubscription(form.customerId);
      const checked = parseForm(usageRecordSchemaFor(formContext), input.form);
      if (!checked.ok) return fieldErrors(checked.fieldErrors);
      const at = form.eventTime ? parseEventTime(form.eventTime)! : now;
      const properties: Record<string, string> = { source: "ops-console", reason: form.reasonCode };
      if (form.reasonText) properties.note = redactText(form.reasonText);
      return writes.write({
        action: usageRecordWrite,
        staff,
        customerId: form.customerId,
        idempotencyKey: form.idempotencyKey,
        form: normalized,
        details: {
          featureCode: form.featureCode,
          quantity: form.quantity,
          eventTime: at.toISOString(),
          reasonCode: form.reasonCode,
          reasonText: form.reasonText,
          livemode: context.livemode,
        },
        request: {
          call: "usage.track",
          params: {
            feature: form.featureCode,
            customerId: form.customerId,
            value: form.quantity,
            timestamp: at.toISOString(),
            idempotencyKey: form.idempotencyKey,
            properties,
          },
        },
      });
    },
  );
}

/**
 * Sets the current period's usage of a feature to an exact value (a correction, usage.set): Commet
 * records a signed adjustment and keeps the original events. Same exactly-once rules.
 */
export async function setPeriodUsage(input: UsageWriteInput, engine?: WriteEngine): Promise<WriteResult> {
  const writes = writeEngineFor(engine);
  const admitted = admit(input.role, "usage:write", usageSetFormSchema, input.form, "Your role may not correct usage");
  if (!admitted.ok) return admitted.result;
  const form = admitted.form;
  const staff = { actor: input.actor, role: input.role };

  return writes.keyed(
    { action: usageSetWrite, idempotencyKey: form.idempotencyKey, customerId: form.customerId, identity: form },
    async (): Promise<WriteResult> => {
      const context = await contextOrError(writes, form.customerId);
      if ("kind" in context) return context;
      const checked = parseForm(usageSetSchemaFor({ features: usageFeaturesOf(context.plan) }), input.form);
      if (!checked.ok) return fieldErrors(checked.fieldErrors);
      return writes.write({
        action: usageSetWrite,
        staff,
        customerId: form.customerId,
        idempotencyKey: form.idempotencyKey,
        form,
        details: {
          featureCode: form.featureCode,
          value: form.value,
          reasonCode: form.reasonCode,
          reasonText: form.reasonText,
          period: context.subscription.currentPeriod,
          livemode: context.livemode,
        },
        request: {
          call: "usage.set",
          params: {
            customerId: form.customerId,
            feature: form.featureCode,
            value: form.value,
            idempotencyKey: form.idempotencyKey,
            reason: redactText(reasonNote(form.reasonCode, form.reasonText)).slice(0, 500),
          },
        },
      });
    },
  );
}

/**
 * What the manual-usage forms of the customer page offer, read fresh: the plan's usage features
 * (decimals or not), the current period and each feature's total so far. null without an active
 * subscription. timeoutMs: per-attempt timeout of each read (the customer page passes its panels').
 */
export async function loadUsagePanel(
  customerId: string,
  engine?: WriteEngine,
  options: { timeoutMs?: number } = {},
): Promise<UsagePanel | null> {
  const commet = writeEngineFor(engine).commet();
  const loaded = await loadBillingContext(commet, customerId, { timeoutMs: options.timeoutMs });
  if (!loaded.ok) return null;
  const { context } = loaded;
  const request = options.timeoutMs === undefined ? undefined : { timeout: options.timeoutMs };
  const access = (await commet.featureAccess.list({ customerId }, request)).data ?? [];
  const byCode = new Map(access.map((a) => [a.code, a]));
  return {
    livemode: context.livemode,
    period: context.subscription.currentPeriod,
    features: usageFeaturesOf(context.plan).map((f) => ({
      ...f,
      current: byCode.get(f.code)?.current ?? null,
      included: byCode.get(f.code)?.included ?? null,
    })),
  };
}
