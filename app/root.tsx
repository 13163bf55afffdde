// The root route: the HTML document, the app shell around every page, and the top-level error boundary.

import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Links, Meta, Outlet, Scripts, ScrollRestoration, useRouteLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import { getCurrentStaff } from "../server/auth/index.ts";
import { loadShell } from "../server/commet/index.ts";
import { AppShell, PublicShell } from "./components/app-shell";
import { RouteErrorBoundary } from "./components/route-error";
import { useNonce } from "./lib/nonce";
import stylesheet from "./styles/app.css?url";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction = () => [{ title: "Commet Ops Console" }];

/**
 * Who is signed in (for the shell and for hiding what the role may not do — every route still checks
 * on the server). Signed out, no Commet call is made: the sign-in page needs none.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  return loadShell(await getCurrentStaff(request));
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

function Frame({ children }: { children: ReactNode }) {
  const data = useRouteLoaderData<typeof loader>("root");
  return data?.staff ? (
    <AppShell shell={data.shell} staff={data.staff}>
      {children}
    </AppShell>
  ) : (
    <PublicShell>{children}</PublicShell>
  );
}

export default function App() {
  return (
    <Frame>
      <Outlet />
    </Frame>
  );
}

export function ErrorBoundary() {
  return (
    <Frame>
      <RouteErrorBoundary />
    </Frame>
  );
}
