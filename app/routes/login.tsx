// /login — the sign-in page and its throttled sign-in (docs/decisions/0013-http-hardening.md).

import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useEffect, useRef } from "react";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import {
  assertSameOrigin,
  authMode,
  DEMO_ACCOUNTS,
  getCurrentStaff,
  safeRedirect,
  signIn,
  signInOptions,
} from "../../server/auth/index.ts";
import { MIN_BREAK_GLASS_REASON } from "~/contracts/sign-in";
import { TextField } from "~/components/form-field";
import { RouteErrorBoundary } from "~/components/route-error";
import { readFormData } from "~/lib/form-body.server";

export const meta: MetaFunction = () => [{ title: "Sign in · Commet Ops Console" }];

/**
 * Public: the sign-in page — the identity provider's button when OIDC is on, the password form unless password
 * sign-in is off (then only the first-run admin's break-glass form, at ?breakGlass=1). Already signed in → on.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const query = new URL(request.url).searchParams;
  const redirectTo = safeRedirect(query.get("redirectTo"));
  if (await getCurrentStaff(request)) throw redirect(redirectTo);
  const { oidc, passwordSignIn } = signInOptions();
  // The demo passwords are public on purpose (README) and exist only in the embedded sandbox mode.
  const demoAccounts =
    authMode() === "sandbox" && passwordSignIn
      ? DEMO_ACCOUNTS.map(({ email, role, password }) => ({ email, role, password }))
      : null;
  return {
    demoAccounts,
    oidc,
    passwordForm: passwordSignIn ? "open" : query.get("breakGlass") === "1" ? "break-glass" : "hidden",
  } as const;
}

/** Public, same-origin only: email + password → session cookie; failures counted per account and IP. */
export async function action({ request, context }: ActionFunctionArgs) {
  assertSameOrigin(request);
  const form = await readFormData(request);
  const result = await signIn({
    email: form.get("email"),
    password: form.get("password"),
    reason: form.get("reason"),
    ip: context.clientIp ?? null,
    userAgent: request.headers.get("User-Agent"),
  });
  if (!result.ok) {
    return data(
      {
        error: result.error,
        message: result.message,
        fieldErrors: result.fieldErrors ?? {},
        retryAfterSeconds: result.retryAfterSeconds ?? null,
        email: typeof form.get("email") === "string" ? String(form.get("email")) : "",
      },
      { status: result.status },
    );
  }
  throw redirect(safeRedirect(form.get("redirectTo")), { headers: { "Set-Cookie": result.setCookie } });
}

export default function Login() {
  const { demoAccounts, oidc, passwordForm } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const navigation = useNavigation();
  const [searchParams] = useSearchParams();
  const submitting = navigation.state !== "idle" && navigation.formAction?.startsWith("/login") === true;
  const formRef = useRef<HTMLFormElement>(null);
  // A refused password is never left in the field.
  useEffect(() => {
    const field = formRef.current?.elements.namedItem("password");
    if (failure && field instanceof HTMLInputElement) field.value = "";
  }, [failure]);
  const formError = failure && failure.error !== "invalid_input" ? failure.message : null;
  const redirectTo = searchParams.get("redirectTo") ?? "/";
  const breakGlass = passwordForm === "break-glass";

  return (
    <div className="auth-layout">
      <section className="auth-card" aria-labelledby="login-title">
        <h1 id="login-title">{breakGlass ? "Break-glass sign-in" : "Sign in"}</h1>
        <p className="muted">Staff access to the Commet Ops Console.</p>

        {oidc && !breakGlass ? (
          <a
            className="button button--block"
            href={`/auth/oidc/start?${new URLSearchParams({ redirectTo })}`}
            data-testid="oidc-sign-in"
          >
            Sign in with {oidc.providerName}
          </a>
        ) : null}
        {oidc && passwordForm === "open" ? (
          <p className="auth-divider" aria-hidden="true">
            or with your console password
          </p>
        ) : null}
        {breakGlass ? (
          <p className="notice notice--warn" data-testid="break-glass-notice">
            For the first-run admin account only, when {oidc?.providerName ?? "the identity provider"} is unavailable.
            Your reason is recorded in the audit trail and flagged as break-glass.
          </p>
        ) : null}

        {formError ? (
          <div
            className={failure?.error === "locked" ? "form-alert form-alert--locked" : "form-alert"}
            role="alert"
            id="login-error"
            data-testid="login-error"
          >
            {formError}
          </div>
        ) : null}

        {passwordForm === "hidden" ? (
          <p className="auth-footnote">
            <a href={`/login?${new URLSearchParams({ breakGlass: "1", redirectTo })}`}>Break-glass sign-in</a>{" "}
            <span className="muted">(first-run admin only, audited)</span>
          </p>
        ) : (
          <Form
            method="post"
            noValidate
            className="stack-form"
            ref={formRef}
            aria-describedby={formError ? "login-error" : undefined}
          >
            <input type="hidden" name="redirectTo" value={redirectTo} />
            <TextField
              id="login-email"
              label="Email"
              name="email"
              type="email"
              autoComplete="username"
              required
              autoFocus
              defaultValue={failure?.email ?? ""}
              errors={failure?.fieldErrors.email}
            />
            <TextField
              id="login-password"
              label="Password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              errors={failure?.fieldErrors.password}
            />
            {breakGlass ? (
              <TextField
                id="login-reason"
                label="Reason for break-glass access"
                name="reason"
                required
                minLength={MIN_BREAK_GLASS_REASON}
                maxLength={500}
                hint="For example: the identity provider is down (incident 1234)."
                errors={failure?.fieldErrors.reason}
              />
            ) : null}
            <button
              type="submit"
              className={oidc && !breakGlass ? "button button--block button--quiet" : "button button--block"}
              disabled={submitting}
            >
              {submitting
                ? "Signing in…"
                : breakGlass
                  ? "Sign in (break-glass)"
                  : oidc
                    ? "Sign in with password"
                    : "Sign in"}
            </button>
            {breakGlass ? <Link to={`/login?${new URLSearchParams({ redirectTo })}`}>Back to sign-in</Link> : null}
          </Form>
        )}
      </section>

      {demoAccounts ? (
        <aside className="demo-accounts" aria-labelledby="demo-title" data-testid="demo-accounts">
          <h2 id="demo-title">Demo accounts</h2>
          <p className="muted">
            Sandbox mode only: one account per role, on the embedded test organization. They are deactivated when the
            console runs against a real Commet key.
          </p>
          <table className="demo-accounts__table">
            <caption className="visually-hidden">Demo accounts</caption>
            <thead>
              <tr>
                <th scope="col">Role</th>
                <th scope="col">Email</th>
                <th scope="col">Password</th>
              </tr>
            </thead>
            <tbody>
              {demoAccounts.map((account) => (
                <tr key={account.email}>
                  <td>
                    <span className="role-chip">{account.role}</span>
                  </td>
                  <td>
                    <code>{account.email}</code>
                  </td>
                  <td>
                    <code>{account.password}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </aside>
      ) : null}
    </div>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
