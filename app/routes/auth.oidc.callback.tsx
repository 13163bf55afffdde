// /auth/oidc/callback — the identity provider's redirect back: signs in with the mapped role, or says why not.

import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { oidcSignIn } from "../../server/auth/index.ts";
import { RouteErrorBoundary } from "~/components/route-error";

export const meta: MetaFunction = () => [{ title: "Sign-in refused · Commet Ops Console" }];

const TITLES: Record<string, string> = {
  no_role: "No access to the console",
  deactivated: "Account deactivated",
  email_unverified: "Email address not verified",
  last_admin: "Role change refused",
  provider_error: "The identity provider did not sign you in",
};

/**
 * Public GET (the provider's top-level redirect: no Origin to check; state, nonce and PKCE bind it to the
 * browser that started it). Success → a session cookie and on to where the person was going; a refusal →
 * this page with the reason (audited as sign_in.failed). 404 when OIDC is not configured.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const oidc = await oidcSignIn();
  if (!oidc) throw new Response("OIDC sign-in is not configured on this console.", { status: 404 });
  const result = await oidc.complete(request, {
    ip: context.clientIp ?? null,
    userAgent: request.headers.get("User-Agent"),
  });
  const headers = new Headers();
  for (const cookie of result.setCookies) headers.append("Set-Cookie", cookie);
  if (result.ok) throw redirect(result.redirectTo, { headers });
  return data(
    { error: result.error, message: result.message, providerName: oidc.providerName },
    { status: result.status, headers },
  );
}

export default function OidcCallback() {
  const { error, message, providerName } = useLoaderData<typeof loader>();
  return (
    <div className="auth-layout">
      <section className="auth-card" aria-labelledby="oidc-refused-title">
        <h1 id="oidc-refused-title">{TITLES[error] ?? "Sign-in not completed"}</h1>
        <div className="form-alert" role="alert" data-testid="oidc-refused" data-error={error}>
          {message}
        </div>
        <p className="stack-form">
          <a className="button button--block" href="/auth/oidc/start">
            Try again with {providerName}
          </a>
          <Link to="/login">Back to the sign-in page</Link>
        </p>
      </section>
    </div>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
