/**
 * A real OpenID Connect provider (oidc-provider) on 127.0.0.1 and a free port, for the OIDC sign-in tests: one
 * confidential client, a few test people with `groups` claims, and a plain login form (no password) whose
 * consent is implied. `signInThrough` walks an authorization URL over HTTP the way a browser would.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type Configuration } from "oidc-provider";

export interface TestPerson {
  /** The login name typed into the provider's form (and the `sub`). */
  login: string;
  email: string;
  emailVerified: boolean;
  name: string;
  groups: string[];
}

export const TEST_PEOPLE: readonly TestPerson[] = [
  { login: "olivia", email: "olivia@idp.test", emailVerified: true, name: "Olivia Ops", groups: ["staff", "ops-team"] },
  {
    login: "fiona",
    email: "fiona@idp.test",
    emailVerified: true,
    name: "Fiona Finance",
    groups: ["finance", "engineering"],
  },
  { login: "adam", email: "adam@idp.test", emailVerified: true, name: "Adam Admin", groups: ["console-admins"] },
  { login: "nina", email: "nina@idp.test", emailVerified: true, name: "Nina Nogroup", groups: ["engineering"] },
  { login: "victor", email: "victor@idp.test", emailVerified: false, name: "Victor Unverified", groups: ["ops-team"] },
];

/** The OIDC_ROLE_MAP the tests use with TEST_PEOPLE. */
export const TEST_ROLE_MAP = "console-admins=admin,ops-team=ops,finance=finance,support=support";
export const TEST_CLIENT_ID = "commet-console";
export const TEST_CLIENT_SECRET = "test-client-secret-0123456789abcdef";

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  stop(): Promise<void>;
}

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body><main><h1>${title}</h1>${body}</main></body></html>`;

/** Starts the provider; `redirectUris` are the console callback URLs the client may use. */
export async function startTestOidcProvider(options: {
  redirectUris: string[];
  people?: readonly TestPerson[];
}): Promise<TestOidcProvider> {
  const people = new Map((options.people ?? TEST_PEOPLE).map((person) => [person.login, person]));
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const configuration: Configuration = {
    clients: [
      {
        client_id: TEST_CLIENT_ID,
        client_secret: TEST_CLIENT_SECRET,
        redirect_uris: options.redirectUris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    scopes: ["openid", "email", "profile", "groups"],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
    // The console reads the claims from the verified ID token, as many IdPs (Entra, Okta) can be set up to send.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ["test-oidc-provider-cookie-key-0123456789"] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    findAccount: (_ctx, id) => {
      const person = people.get(id);
      if (!person) return undefined;
      return {
        accountId: id,
        claims: () => ({
          sub: id,
          email: person.email,
          email_verified: person.emailVerified,
          name: person.name,
          groups: person.groups,
        }),
      };
    },
    // Consent is implied for this first-party client: every requested scope is granted.
    loadExistingGrant: async (ctx) => {
      const client = ctx.oidc.client!;
      const accountId = ctx.oidc.session!.accountId!;
      const existing = ctx.oidc.session!.grantIdFor(client.clientId);
      const grant = existing
        ? await ctx.oidc.provider.Grant.find(existing)
        : new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId });
      if (!grant) return undefined;
      grant.addOIDCScope(String(ctx.oidc.params!.scope ?? "openid"));
      await grant.save();
      return grant;
    },
  };
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();

  server.on("request", (req, res) => {
    const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec((req.url ?? "").split("?")[0]!);
    if (!match) {
      callback(req, res);
      return;
    }
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        if (req.method === "GET") {
          res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
          res.end(
            page(
              "Test identity provider",
              `<form method="post" action="/interaction/${details.uid}/login">` +
                `<label for="login">Username</label> <input id="login" name="login" autofocus> ` +
                `<button type="submit">Continue</button></form>`,
            ),
          );
          return;
        }
        const body = await new Promise<string>((resolve) => {
          let text = "";
          req.on("data", (chunk: Buffer) => (text += chunk.toString()));
          req.on("end", () => resolve(text));
        });
        const login = new URLSearchParams(body).get("login") ?? "";
        if (!people.has(login)) {
          res.writeHead(401, { "content-type": "text/html; charset=utf-8" });
          res.end(page("Unknown user", "<p>No such test user.</p>"));
          return;
        }
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: login } },
          { mergeWithLastSubmission: false },
        );
      } catch (error) {
        res.writeHead(400, { "content-type": "text/plain" });
        res.end(String(error));
      }
    })();
  });

  return {
    issuer,
    clientId: TEST_CLIENT_ID,
    clientSecret: TEST_CLIENT_SECRET,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A tiny cookie jar per host, enough for the provider's interaction cookies. */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

/**
 * Follows an authorization URL through the provider as `login` would in a browser (login form submitted) and
 * returns the URL the provider finally redirects to — the console's callback with `code` and `state` (or an
 * `error`). Stops at the first redirect that leaves the provider.
 */
export async function signInThrough(authorizationUrl: string | URL, login: string): Promise<URL> {
  const jar = new CookieJar();
  let url = new URL(authorizationUrl);
  const issuerOrigin = url.origin;
  let method: "GET" | "POST" = "GET";
  let body: string | undefined;
  for (let hop = 0; hop < 15; hop++) {
    if (url.origin !== issuerOrigin) return url;
    const response = await fetch(url, {
      method,
      redirect: "manual",
      headers: {
        cookie: jar.header(),
        ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      body,
    });
    jar.take(response);
    method = "GET";
    body = undefined;
    const location = response.headers.get("location");
    if (location) {
      url = new URL(location, url);
      continue;
    }
    const html = await response.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (response.status !== 200 || !action) throw new Error(`the provider answered ${response.status}: ${html}`);
    url = new URL(action, url);
    method = "POST";
    body = new URLSearchParams({ login }).toString();
  }
  throw new Error("too many redirects at the test identity provider");
}
