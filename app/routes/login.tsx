// /login — the sign-in page and its throttled sign-in (docs/decisions/0013-http-hardening.md).

import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useEffect, useRef } from "react";
import { Form, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import {
  assertSameOrigin,
  authMode,
  DEMO_ACCOUNTS,
  getCurrentStaff,
  safeRedirect,
  signIn,
} from "../../server/auth/index.ts";
import { TextField } from "~/components/form-field";
import { RouteErrorBoundary } from "~/components/route-error";
import { readFormData } from "~/lib/form-body.server";

export const meta: MetaFunction = () => [{ title: "Sign in · Commet Ops Console" }];

/** Public: the sign-in page. Already signed in → straight on to where the user was going. */
export async function loader({ request }: LoaderFunctionArgs) {
  const redirectTo = safeRedirect(new URL(request.url).searchParams.get("redirectTo"));
  if (await getCurrentStaff(request)) throw redirect(redirectTo);
  // The demo passwords are public on purpose (README) and exist only in the embedded sandbox mode.
  const demoAccounts =
    authMode() === "sandbox" ? DEMO_ACCOUNTS.map(({ email, role, password }) => ({ email, role, password })) : null;
  return { demoAccounts };
}

/** Public, same-origin only: email + password → session cookie; failures counted per account and IP. */
export async function action({ request, context }: ActionFunctionArgs) {
  assertSameOrigin(request);
  const form = await readFormData(request);
  const result = await signIn({
    email: form.get("email"),
    password: form.get("password"),
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
  const { demoAccounts } = useLoaderData<typeof loader>();
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

  return (
    <div className="auth-layout">
      <section className="auth-card" aria-labelledby="login-title">
        <h1 id="login-title">Sign in</h1>
        <p className="muted">Staff access to the Commet Ops Console.</p>

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

        <Form
          method="post"
          noValidate
          className="stack-form"
          ref={formRef}
          aria-describedby={formError ? "login-error" : undefined}
        >
          <input type="hidden" name="redirectTo" value={searchParams.get("redirectTo") ?? "/"} />
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
          <button type="submit" className="button button--block" disabled={submitting}>
            {submitting ? "Signing in…" : "Sign in"}
          </button>
        </Form>
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
