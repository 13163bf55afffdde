// /writes/mine — the signed-in staff member's writes whose outcome Commet has not confirmed yet (an admin's: everyone's).

import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { z } from "zod";
import { requireStaff } from "../../server/auth/index.ts";
import { settleUnsettledWrite, unsettledWritesFor } from "../../server/writes/index.ts";
import { unsettledDetail } from "~/components/writes/unsettled-writes";
import { RouteErrorBoundary } from "~/components/route-error";
import { customerHref } from "~/contracts/customer-ref";
import { formatUtc } from "~/contracts/format";
import {
  UNSETTLED_STATE_LABELS,
  settleIntentSchema,
  type SettleResult,
  type UnsettledWrite,
} from "~/contracts/unsettled-writes";
import { readFormData } from "~/lib/form-body.server";

export const meta: MetaFunction = () => [{ title: "My unsettled writes · Commet Ops Console" }];

/** audit:read (every role) — the reader's own pending writes (an admin: everyone's), with what the resolver does about each. */
export async function loader({ request }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "audit:read");
  return unsettledWritesFor(staff);
}

/**
 * audit:read, then the permission of the write's own action: settle by hand a write handed to a person
 * (applied or not in Commet, with a note). 400 bad form · 403 role · 404 unknown/settled · 409 still resolving.
 */
export async function action({ request }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "audit:read");
  const parsed = settleIntentSchema.safeParse(Object.fromEntries(await readFormData(request)));
  if (!parsed.success) {
    return data({ error: z.flattenError(parsed.error).fieldErrors, result: null }, { status: 400 });
  }
  const { auditId, outcome, note } = parsed.data;
  const answer = await settleUnsettledWrite(staff, { auditId, applied: outcome === "applied", note });
  const result: SettleResult = { auditId, tone: answer.tone, message: answer.message };
  return data({ error: null, result }, { status: answer.status });
}

/** A write handed to a person: what the reader found in Commet, recorded with a note. */
function SettleForm({ write, error }: { write: UnsettledWrite; error: string[] | undefined }) {
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" && navigation.formData?.get("auditId") === write.auditId;
  const noteId = `settle-note-${write.auditId}`;
  return (
    <Form
      method="post"
      className="settle-form"
      preventScrollReset
      aria-label={`Settle ${write.what} ${write.idempotencyKey}`}
    >
      <input type="hidden" name="intent" value="settle" />
      <input type="hidden" name="auditId" value={write.auditId} />
      <label htmlFor={noteId}>What you found in Commet</label>
      <input
        id={noteId}
        name="note"
        className="input"
        required
        minLength={3}
        maxLength={500}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${noteId}-error` : undefined}
      />
      {error ? (
        <span id={`${noteId}-error`} className="field-error">
          {error.join(" ")}
        </span>
      ) : null}
      <span className="settle-form__buttons">
        <button type="submit" name="outcome" value="applied" className="button button--small" disabled={busy}>
          Applied in Commet
        </button>
        <button
          type="submit"
          name="outcome"
          value="not_applied"
          className="button button--quiet button--small"
          disabled={busy}
        >
          Not applied
        </button>
      </span>
    </Form>
  );
}

export default function MyUnsettledWrites() {
  const { scope, writes } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const revalidator = useRevalidator();
  const pending = writes.length > 0;
  // While something is unsettled the list refreshes itself: rows leave it as Commet confirms them.
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(() => {
      if (revalidator.state === "idle" && document.visibilityState === "visible") revalidator.revalidate();
    }, 10_000);
    return () => clearInterval(timer);
  }, [pending, revalidator]);
  return (
    <>
      <div className="page-header">
        <h1>{scope === "all" ? "Unsettled writes (everyone's)" : "My unsettled writes"}</h1>
        <p className="muted">
          Writes you made whose outcome Commet has not confirmed (a timeout or a server error after sending). The
          console re-sends each with its own idempotency key until Commet answers — it cannot apply twice — and hands it
          to a person before Commet&apos;s 24-hour idempotency window closes.
        </p>
      </div>
      {answer?.result ? (
        <p className={`notice notice--${answer.result.tone}`} role="status" data-testid="settle-result">
          {answer.result.message}
        </p>
      ) : null}
      {pending ? (
        <table className="data-table" data-testid="unsettled-writes">
          <caption className="visually-hidden">Your writes awaiting Commet&apos;s confirmation</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Write</th>
              <th scope="col">Customer</th>
              <th scope="col">State</th>
              <th scope="col">What happens</th>
            </tr>
          </thead>
          <tbody>
            {writes.map((w) => (
              <tr key={w.auditId}>
                <td>
                  <time dateTime={new Date(w.createdAt).toISOString()}>{formatUtc(w.createdAt)}</time>
                </td>
                <td className="unsettled-write">
                  {w.what}
                  <br />
                  <code className="muted">{w.idempotencyKey}</code>
                </td>
                <td>{w.customerId ? <Link to={customerHref(w.customerId)}>{w.customerId}</Link> : "—"}</td>
                <td>
                  <span className={`unsettled-state unsettled-state--${w.state}`}>
                    {UNSETTLED_STATE_LABELS[w.state]}
                  </span>
                </td>
                <td className="unsettled-detail">
                  {scope === "all" ? <span className="muted">By {w.mine ? "you" : w.by}. </span> : null}
                  {unsettledDetail(w)}
                  {w.state === "needs_person" ? <SettleForm write={w} error={answer?.error?.note} /> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="notice notice--good" data-testid="unsettled-writes-empty">
          Nothing unsettled: Commet has confirmed every write you made.
        </p>
      )}
      <p>
        <Link to="/audit?status=pending">Every write with an unknown outcome (audit trail) →</Link>
      </p>
    </>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
