// /logout — ends the session (POST only; a visit goes to the sign-in page).

import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { assertSameOrigin, signOut } from "../../server/auth/index.ts";

/** Public, same-origin only: ends the session (audited) and clears the cookie. */
export async function action({ request }: ActionFunctionArgs) {
  assertSameOrigin(request);
  const { setCookie } = await signOut(request);
  throw redirect("/login", { headers: { "Set-Cookie": setCookie } });
}

/** Public: signing out is a POST (a link must not end a session); a visit just goes to the sign-in page. */
export async function loader() {
  throw redirect("/login");
}
