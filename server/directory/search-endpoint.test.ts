import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Auth } from "../auth/index.ts";
import { addStaff, makeAuth } from "../testing/auth.ts";
import { closeDatabaseGracefully, describeEachEngine } from "../testing/db.ts";
import type { Permission } from "../../app/contracts/permissions.ts";
import { searchDirectory } from "./pages.ts";
import { SEARCH_PATH, searchEndpoint } from "./search-endpoint.ts";
import { tables } from "./schema.ts";
import { upsertCustomers } from "./store.ts";

const NOW = Date.parse("2026-11-21T12:00:00.000Z");

describeEachEngine("GET /search ahead of Remix (search-endpoint.ts)", (ctx) => {
  closeDatabaseGracefully(ctx);
  let auth: Auth;
  let base = "";
  let cookie = "";
  const servers: Server[] = [];

  async function serve(permission?: Permission): Promise<string> {
    const app = express();
    const handler = searchEndpoint({
      staff: (header) => auth.staffForCookie(header),
      login: async (method, url) => auth.loginLocation(method, url),
      search: (query) => searchDirectory(query, ctx.database),
      permission,
    });
    app.get(SEARCH_PATH, handler);
    app.options(SEARCH_PATH, handler);
    const server = app.listen(0, "127.0.0.1");
    servers.push(server);
    await new Promise((resolve) => server.once("listening", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  beforeAll(async () => {
    auth = makeAuth(ctx.db).auth;
    await tables(ctx.database)
      .transaction()
      .execute((trx) =>
        upsertCustomers(
          trx,
          [
            {
              id: "cus_ada",
              email: "ada.lovelace@acme.com",
              fullName: "Ada Lovelace",
              externalId: "user_ada",
              createdAt: "2026-01-01T00:00:00.000Z",
              updatedAt: "2026-01-01T00:00:00.000Z",
            },
          ],
          NOW,
        ),
      );
    const staff = await addStaff(auth, "support");
    const signedIn = await auth.signIn({ email: staff.email, password: staff.password });
    if (!signedIn.ok) throw new Error(signedIn.message);
    cookie = signedIn.setCookie.split(";")[0]!;
    base = await serve();
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  const get = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { redirect: "manual", ...init });

  it("answers the index's hits as private, uncached JSON", async () => {
    const response = await get("/search?q=ada.lo", { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    expect(response.headers.get("etag")).toBeNull();
    const body: unknown = await response.json();
    expect(body).toEqual(await searchDirectory({ q: "ada.lo", limit: 8 }, ctx.database));
    expect(body).toMatchObject({ query: "ada.lo", hits: [{ id: "cus_ada", matchedOn: "email" }] });
  });

  it("parses bad input as the contract does: defaults, never an error", async () => {
    const tooLong = await get(`/search?q=${"a".repeat(201)}&limit=nope`, { headers: { cookie } });
    expect(tooLong.status).toBe(200);
    expect(await tooLong.json()).toEqual({ query: "", hits: [], exactHit: null });
    const limits = await get("/search?q=ada&limit=500", { headers: { cookie } });
    expect(limits.status).toBe(200);
    expect(await limits.json()).toEqual(await searchDirectory({ q: "ada", limit: 8 }, ctx.database));
    const none = await get("/search", { headers: { cookie } });
    expect(await none.json()).toMatchObject({ query: "", hits: [] });
  });

  it("signed out, a bad cookie or a revoked session → 302 to the sign-in page, back to the search", async () => {
    for (const headers of [{}, { cookie: "__Host-console_session=forged.signature" }] as Record<string, string>[]) {
      const response = await get("/search?q=a%20b&_data=x", { headers });
      expect(response.status).toBe(302);
      expect(response.headers.get("location")).toBe(`/login?${new URLSearchParams({ redirectTo: "/search?q=a+b" })}`);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(await response.text()).toBe("");
    }
    const head = await get("/search?q=ada", { method: "HEAD" });
    expect(head.status).toBe(302);
    expect(head.headers.get("location")).toBe("/login?redirectTo=%2Fsearch");

    const staff = await addStaff(auth, "ops");
    const signedIn = await auth.signIn({ email: staff.email, password: staff.password });
    if (!signedIn.ok) throw new Error(signedIn.message);
    const own = signedIn.setCookie.split(";")[0]!;
    expect((await get("/search?q=ada", { headers: { cookie: own } })).status).toBe(200);
    await auth.signOut(new Request(`${base}/logout`, { method: "POST", headers: { cookie: own } }));
    expect((await get("/search?q=ada", { headers: { cookie: own } })).status).toBe(302);
  });

  it("a role without the permission → 403, nothing searched", async () => {
    const guarded = await serve("staff:manage");
    const response = await fetch(`${guarded}/search?q=ada`, { headers: { cookie } });
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toBe("text/plain;charset=UTF-8");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.text()).toBe("Your role (support) may not do this.");
  });
});
