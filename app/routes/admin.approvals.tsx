// /admin/approvals — the four-eyes policy (admins): which writes need a second person, above what, and who approves.

import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { requireStaff } from "../../server/auth/index.ts";
import { loadApprovalPolicy, saveApprovalPolicy, type PolicyAnswer } from "../../server/approvals/index.ts";
import { RouteErrorBoundary } from "~/components/route-error";
import { APPROVAL_RULE_KEYS, APPROVAL_RULES, MAX_EXPIRY_HOURS, type ApprovalRuleKey } from "~/contracts/approvals";
import { formatUtc } from "~/contracts/format";
import { ROLES } from "~/contracts/permissions";
import { NO_STORE } from "~/contracts/ops-results";
import { readFormData } from "~/lib/form-body.server";
import approvalsCss from "~/styles/approvals.css?url";

export const meta: MetaFunction = () => [{ title: "Approval policy · Commet Ops Console" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: approvalsCss }];

/** approvals:policy (admin) — the policy in force and who changed each rule last. */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireStaff(request, "approvals:policy");
  return loadApprovalPolicy();
}

/** approvals:policy (admin) — intent=save-rule (one rule) or save-expiry; every change is an audit row. */
export async function action({ request }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "approvals:policy");
  const body = await readFormData(request);
  const form = { ...Object.fromEntries(body), approvers: body.getAll("approvers") };
  const answer = await saveApprovalPolicy({ actor: { id: staff.id, email: staff.email }, role: staff.role }, form);
  return Response.json(answer.body, { status: answer.status, headers: NO_STORE });
}

/** Refund thresholds are stored in minor units and typed in major ones. */
function shown(key: ApprovalRuleKey, value: number | null): string {
  if (value === null) return "";
  return APPROVAL_RULES[key].threshold?.unit === "currency" ? String(value / 100) : String(value);
}

export default function ApprovalPolicyPage() {
  const { policy, changes } = useLoaderData<typeof loader>();
  const answer = useActionData<PolicyAnswer>();
  const navigation = useNavigation();
  const saving = navigation.state !== "idle" ? String(navigation.formData?.get("rule") ?? "expiry") : null;
  const errorsFor = (rule: string) => (answer && !answer.ok && answer.rule === rule ? answer.fieldErrors : undefined);

  return (
    <>
      <div className="page-header">
        <h1>Approval policy</h1>
        <p className="muted">
          Which writes wait for a second person before they reach Commet, and who may approve them. The requester never
          approves their own request, whatever their role. Every change here is recorded in the audit trail.
        </p>
      </div>
      {answer ? (
        <p
          className={answer.ok ? "notice" : "form-alert"}
          role={answer.ok ? "status" : "alert"}
          data-testid="policy-result"
        >
          {answer.message}
        </p>
      ) : null}

      <section className="section panel-card" aria-labelledby="rules-title">
        <h2 id="rules-title">Rules</h2>
        {APPROVAL_RULE_KEYS.map((key) => {
          const def = APPROVAL_RULES[key];
          const rule = policy.rules[key];
          const errors = errorsFor(key);
          const change = changes[key];
          return (
            <Form method="post" key={key} className="policy-rule" aria-label={def.label} data-rule={key}>
              <input type="hidden" name="rule" value={key} />
              <div>
                <div className="approval-ack">
                  <input type="checkbox" id={`${key}-enabled`} name="enabled" defaultChecked={rule.enabled} />
                  <label htmlFor={`${key}-enabled`}>
                    <strong>{def.label}</strong> need approval
                  </label>
                </div>
                <p className="field-hint">{def.help}</p>
                <p className="muted">
                  {change ? `Changed by ${change.by}, ${formatUtc(change.at)}` : "Default (never changed)"}
                </p>
              </div>
              <div>
                <div className="policy-rule__numbers">
                  {def.threshold ? (
                    <div className="field">
                      <label htmlFor={`${key}-threshold`}>
                        {def.threshold.label}
                        {def.threshold.unit === "currency" ? " (USD)" : ""}
                        {def.threshold.unit === "percent" ? " (%)" : ""}
                      </label>
                      <input
                        id={`${key}-threshold`}
                        name="threshold"
                        inputMode="numeric"
                        defaultValue={shown(key, rule.threshold)}
                        aria-invalid={errors?.threshold ? true : undefined}
                      />
                      {errors?.threshold ? <p className="field-error">{errors.threshold[0]}</p> : null}
                    </div>
                  ) : null}
                  {"second" in def ? (
                    <div className="field">
                      <label htmlFor={`${key}-second`}>{def.second.label}</label>
                      <input
                        id={`${key}-second`}
                        name="second"
                        inputMode="numeric"
                        defaultValue={shown(key, rule.second)}
                        aria-invalid={errors?.second ? true : undefined}
                      />
                      {errors?.second ? <p className="field-error">{errors.second[0]}</p> : null}
                    </div>
                  ) : null}
                </div>
                <fieldset>
                  <legend>May approve</legend>
                  {ROLES.map((role) => (
                    <label key={role}>
                      <input
                        type="checkbox"
                        name="approvers"
                        value={role}
                        defaultChecked={rule.approvers.includes(role)}
                      />{" "}
                      {role}
                    </label>
                  ))}
                </fieldset>
                {errors?.approvers ? <p className="field-error">{errors.approvers[0]}</p> : null}
              </div>
              <button
                type="submit"
                name="intent"
                value="save-rule"
                className="button button--small"
                disabled={saving !== null}
              >
                {saving === key ? "Saving…" : "Save"}
              </button>
            </Form>
          );
        })}
      </section>

      <section className="section panel-card" aria-labelledby="expiry-title">
        <h2 id="expiry-title">Requests expire</h2>
        <Form method="post" className="inline-form" aria-label="Expiry">
          <div className="field">
            <label htmlFor="expiresAfterHours">After (hours, 1–{MAX_EXPIRY_HOURS})</label>
            <input
              id="expiresAfterHours"
              name="expiresAfterHours"
              inputMode="numeric"
              className="input--narrow"
              defaultValue={policy.expiresAfterHours}
              aria-invalid={errorsFor("expiry")?.expiresAfterHours ? true : undefined}
            />
            {errorsFor("expiry")?.expiresAfterHours ? (
              <p className="field-error">{errorsFor("expiry")!.expiresAfterHours![0]}</p>
            ) : null}
          </div>
          <button
            type="submit"
            name="intent"
            value="save-expiry"
            className="button button--small"
            disabled={saving !== null}
          >
            Save
          </button>
        </Form>
        <p className="field-hint">
          An unanswered request expires and nothing is sent. Its key reaches Commet only when it is approved, so
          Commet&apos;s 24-hour idempotency window starts then (decision 0017).
        </p>
      </section>
    </>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
