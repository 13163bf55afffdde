// /auth/oidc/start — sends the browser to the identity provider (OpenID Connect, docs/decisions/0018-oidc-sign-in.md).

import type { LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { getCurrentStaff, oidcSignIn, safeRedirect } from "../../server/auth/index.ts";

/**
 * Public GET (a link, so no form-action CSP applies to the provider's origin): remembers state, nonce and the
 * PKCE verifier in a short-lived signed cookie and redirects to the provider. 404 when OIDC is not configured.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const oidc = await oidcSignIn();
  if (!oidc) throw new Response("OIDC sign-in is not configured on this console.", { status: 404 });
  const redirectTo = safeRedirect(new URL(request.url).searchParams.get("redirectTo"));
  if (await getCurrentStaff(request)) throw redirect(redirectTo);
  const { url, setCookie } = await oidc.begin(redirectTo);
  throw redirect(url, { headers: { "Set-Cookie": setCookie } });
}
