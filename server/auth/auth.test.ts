import { beforeAll, expect, it, vi } from "vitest";
import { describeEachEngine } from "../testing/db.ts";
import { createAuditLog } from "../audit/audit-log.ts";
import { DEACTIVATED, INVALID_CREDENTIALS, safeRedirect, type Auth } from "./auth.ts";
import { hashPassword, verifyPassword } from "./password.ts";
import { FAILURE_WINDOW_MS, SIGN_IN_LIMITS } from "./rate-limit.ts";
import { StaffError } from "./staff.ts";
import { APP_ORIGIN, addStaff, makeAuth, requestWithCookie, testClock, thrown } from "../testing/auth.ts";

describeEachEngine("sign-in, sign-out and requireStaff", (ctx) => {
  const clock = testClock();
  let auth: Auth;
  const audit = () => createAuditLog(ctx.db);
  const auditRows = async (email: string) => (await audit().list({ actor: email }, { pageSize: 200, page: 1 })).rows;
  beforeAll(() => {
    auth = makeAuth(ctx.db, clock).auth;
  });

  it("signs in with email + password: a hardened session cookie, audited without the password", async () => {
    const s = await addStaff(auth, "ops");
    const result = await auth.signIn({
      email: `  ${s.email.toUpperCase()} `,
      password: s.password,
      ip: "10.1.1.1",
      userAgent: "vitest",
    });
    if (!result.ok) throw new Error(result.message);
    expect(result.staff).toEqual({ id: s.id, email: s.email, name: s.name, role: "ops" });
    const cookie = result.setCookie;
    expect(cookie).toMatch(/^__Host-console_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).toMatch(/Max-Age=604800/);
    expect(await auth.getCurrentStaff(requestWithCookie(cookie))).toMatchObject({ id: s.id, role: "ops" });
    const [row] = await auditRows(s.email);
    expect(row).toMatchObject({ action: "sign_in.succeeded", status: "succeeded", role: "ops", actor: { id: s.id } });
    expect(row?.params).toMatchObject({ ip: "10.1.1.1" });
    expect(JSON.stringify(await auditRows(s.email))).not.toContain(s.password);
    expect((await auth.staff.get(s.id))?.lastSignInAt).toBe(clock.now);
  });

  it("upgrades a hash made with weaker parameters on the next successful sign-in", async () => {
    const s = await addStaff(auth, "support");
    await ctx.db
      .updateTable("staff")
      .set({ password_hash: await hashPassword(s.password, { N: 512, r: 8, p: 1 }) })
      .where("id", "=", s.id)
      .execute();
    expect((await auth.signIn({ email: s.email, password: s.password })).ok).toBe(true);
    const { password_hash } = await ctx.db
      .selectFrom("staff")
      .select("password_hash")
      .where("id", "=", s.id)
      .executeTakeFirstOrThrow();
    expect(password_hash).toMatch(/^scrypt\$1024\$/);
    expect(await verifyPassword(s.password, password_hash)).toBe(true);
  });

  it("a tampered or foreign cookie is no session", async () => {
    const s = await addStaff(auth, "ops");
    const result = await auth.signIn({ email: s.email, password: s.password });
    if (!result.ok) throw new Error(result.message);
    const [pair] = result.setCookie.split(";");
    const tampered = pair!.replace(/=(.)/, (_m, c: string) => `=${c === "a" ? "b" : "a"}`);
    expect(await auth.getCurrentStaff(requestWithCookie(tampered))).toBeNull();
    const other = makeAuth(ctx.db, clock).auth; // same secret → accepted; proves the check is the signature
    expect(await other.getCurrentStaff(requestWithCookie(result.setCookie))).not.toBeNull();
  });

  it("rejects a wrong password or unknown email with one message, audited as sign_in.failed", async () => {
    const s = await addStaff(auth, "support");
    const wrong = await auth.signIn({ email: s.email, password: "not-the-password", ip: "10.2.2.2" });
    expect(wrong).toEqual({ ok: false, status: 401, error: "invalid_credentials", message: INVALID_CREDENTIALS });
    const unknown = await auth.signIn({ email: "nobody@example.com", password: "whatever-long", ip: "10.2.2.2" });
    expect(unknown).toEqual(wrong);
    const [failed] = await auditRows(s.email);
    expect(failed).toMatchObject({
      action: "sign_in.failed",
      status: "failed",
      errorCode: "invalid_credentials",
      actor: { id: null },
    });
    expect(JSON.stringify(failed)).not.toContain("not-the-password");
    expect((await auditRows("nobody@example.com"))[0]?.action).toBe("sign_in.failed");
  });

  it("validates the form", async () => {
    const r = await auth.signIn({ email: "not an email", password: "" });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe(400);
    expect(Object.keys(r.fieldErrors ?? {}).sort()).toEqual(["email", "password"]);
  });

  it("locks an account from an address after 5 failures in 15 minutes, with the wait time; unlocks after the window", async () => {
    const s = await addStaff(auth, "finance");
    for (let i = 0; i < 5; i++) {
      clock.tick(1000);
      expect((await auth.signIn({ email: s.email, password: `wrong-${i}`, ip: "10.3.9.9" })).ok).toBe(false);
    }
    clock.tick(60_000);
    const locked = await auth.signIn({ email: s.email, password: s.password, ip: "10.3.9.9" });
    expect(locked).toMatchObject({ ok: false, status: 429, error: "locked" });
    if (locked.ok) return;
    // first failure was 64 s ago: 15 min − 64 s ≈ 13.9 min → "14 minutes"
    expect(locked.retryAfterSeconds).toBe(FAILURE_WINDOW_MS / 1000 - 64);
    expect(locked.message).toBe("Too many failed sign-in attempts. Try again in 14 minutes.");
    expect((await auditRows(s.email))[0]).toMatchObject({ action: "sign_in.failed", errorCode: "rate_limited" });
    // attempts while locked do not extend the lock
    clock.tick(FAILURE_WINDOW_MS - 64_000 - 1000);
    expect((await auth.signIn({ email: s.email, password: "still wrong", ip: "10.3.9.9" })).ok).toBe(false);
    clock.tick(1000);
    expect((await auth.signIn({ email: s.email, password: s.password, ip: "10.3.9.9" })).ok).toBe(true);
  });

  it("a successful sign-in resets the account's failure count", async () => {
    const s = await addStaff(auth, "ops");
    for (let i = 0; i < 4; i++) await auth.signIn({ email: s.email, password: "wrong-password", ip: "10.4.0.1" });
    expect((await auth.signIn({ email: s.email, password: s.password, ip: "10.4.0.1" })).ok).toBe(true);
    for (let i = 0; i < 4; i++) await auth.signIn({ email: s.email, password: "wrong-password", ip: "10.4.0.2" });
    expect((await auth.signIn({ email: s.email, password: s.password, ip: "10.4.0.2" })).ok).toBe(true);
  });

  it("locks an IP that fails across many accounts, without locking those accounts elsewhere", async () => {
    const victim = await addStaff(auth, "support");
    for (let i = 0; i < SIGN_IN_LIMITS.perAddress; i++)
      await auth.signIn({ email: `guess-${i}@example.com`, password: "guess-password", ip: "10.5.5.5" });
    const fromAttacker = await auth.signIn({ email: victim.email, password: victim.password, ip: "10.5.5.5" });
    expect(fromAttacker).toMatchObject({ ok: false, status: 429 });
    expect((await auth.signIn({ email: victim.email, password: victim.password, ip: "10.6.6.6" })).ok).toBe(true);
  });

  it("30 parallel wrong passwords for one account from one address: 5 are checked, the rest refused", async () => {
    const s = await addStaff(auth, "admin");
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => auth.signIn({ email: s.email, password: `guess-${i}`, ip: "10.8.8.8" })),
    );
    const statuses = results.map((r) => (r.ok ? 200 : r.status));
    expect(statuses.filter((status) => status === 401)).toHaveLength(SIGN_IN_LIMITS.perAccountAndAddress);
    expect(statuses.filter((status) => status === 429)).toHaveLength(30 - SIGN_IN_LIMITS.perAccountAndAddress);
  });

  it("an attacker's failures do not lock the owner out from the owner's own address", async () => {
    const s = await addStaff(auth, "admin");
    for (let i = 0; i < 10; i++) await auth.signIn({ email: s.email, password: `guess-${i}`, ip: "203.0.113.66" });
    expect(await auth.signIn({ email: s.email, password: s.password, ip: "203.0.113.66" })).toMatchObject({
      ok: false,
      status: 429,
    });
    expect((await auth.signIn({ email: s.email, password: s.password, ip: "192.0.2.1" })).ok).toBe(true);
  });

  it("a deactivated account cannot sign in, and its open sessions end at once", async () => {
    const admin = await addStaff(auth, "admin");
    const s = await addStaff(auth, "ops");
    const first = await auth.signIn({ email: s.email, password: s.password });
    if (!first.ok) throw new Error(first.message);
    await auth.staff.deactivate({ id: admin.id, email: admin.email, role: "admin" }, s.id);
    expect(await auth.getCurrentStaff(requestWithCookie(first.setCookie))).toBeNull();
    expect(await auth.signIn({ email: s.email, password: s.password })).toEqual({
      ok: false,
      status: 403,
      error: "deactivated",
      message: DEACTIVATED,
    });
  });

  it("requireStaff: redirect to /login when signed out, 403 without the permission, the staff member otherwise", async () => {
    const s = await addStaff(auth, "support");
    const signedIn = await auth.signIn({ email: s.email, password: s.password });
    if (!signedIn.ok) throw new Error(signedIn.message);

    const out = await thrown(
      auth.requireStaff(requestWithCookie(null, { path: "/customers?q=acme" }), "customers:read"),
    );
    expect(out).toBeInstanceOf(Response);
    expect((out as Response).status).toBe(302);
    expect((out as Response).headers.get("Location")).toBe("/login?redirectTo=%2Fcustomers%3Fq%3Dacme");
    const data = await thrown(
      auth.requireStaff(requestWithCookie(null, { path: "/audit?status=pending&_data=routes%2Faudit" })),
    );
    expect((data as Response).headers.get("Location")).toBe("/login?redirectTo=%2Faudit%3Fstatus%3Dpending");

    const forbidden = await thrown(auth.requireStaff(requestWithCookie(signedIn.setCookie), "seats:write"));
    expect((forbidden as Response).status).toBe(403);

    expect(await auth.requireStaff(requestWithCookie(signedIn.setCookie), "portal:issue")).toMatchObject({ id: s.id });
    expect(await auth.requireStaff(requestWithCookie(signedIn.setCookie))).toMatchObject({ role: "support" });
  });

  it("requireStaff refuses a cross-site POST even with a valid session cookie", async () => {
    const s = await addStaff(auth, "admin");
    const r = await auth.signIn({ email: s.email, password: s.password });
    if (!r.ok) throw new Error(r.message);
    const evil = requestWithCookie(r.setCookie, { method: "POST", headers: { Origin: "https://evil.example" } });
    expect(((await thrown(auth.requireStaff(evil, "staff:manage"))) as Response).status).toBe(403);
    const own = requestWithCookie(r.setCookie, { method: "POST", headers: { Origin: APP_ORIGIN } });
    expect(await auth.requireStaff(own, "staff:manage")).toMatchObject({ id: s.id });
  });

  it("sign-out revokes the session, clears the cookie and is audited", async () => {
    const s = await addStaff(auth, "finance");
    const r = await auth.signIn({ email: s.email, password: s.password });
    if (!r.ok) throw new Error(r.message);
    clock.tick(1000);
    const { setCookie } = await auth.signOut(requestWithCookie(r.setCookie, { method: "POST" }));
    expect(setCookie).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/);
    expect(await auth.getCurrentStaff(requestWithCookie(r.setCookie))).toBeNull();
    expect((await auditRows(s.email))[0]).toMatchObject({
      action: "sign_out",
      status: "succeeded",
      actor: { id: s.id },
      role: "finance",
    });
  });

  it("a page's loaders asking at once share one session lookup; nothing is remembered after it settles", async () => {
    const s = await addStaff(auth, "support");
    const r = await auth.signIn({ email: s.email, password: s.password });
    if (!r.ok) throw new Error(r.message);
    const other = await addStaff(auth, "ops");
    const o = await auth.signIn({ email: other.email, password: other.password });
    if (!o.ok) throw new Error(o.message);
    const lookups = vi.spyOn(auth.sessions, "getSession");
    try {
      const [root, route, someoneElse] = await Promise.all([
        auth.getCurrentStaff(requestWithCookie(r.setCookie)),
        auth.requireStaff(requestWithCookie(r.setCookie), "customers:read"),
        auth.getCurrentStaff(requestWithCookie(o.setCookie)),
      ]);
      expect(root).toMatchObject({ id: s.id, role: "support" });
      expect(route).toMatchObject({ id: s.id, role: "support" });
      expect(someoneElse).toMatchObject({ id: other.id, role: "ops" });
      expect(lookups).toHaveBeenCalledTimes(2);
      await auth.signOut(requestWithCookie(r.setCookie, { method: "POST" }));
      expect(await auth.getCurrentStaff(requestWithCookie(r.setCookie))).toBeNull();
      expect(await auth.getCurrentStaff(requestWithCookie(null))).toBeNull();
    } finally {
      lookups.mockRestore();
    }
  });

  it("staff management: audited changes without passwords; guards for self and the last admin", async () => {
    // a fresh view: only this test's admins count for "last admin" if others are deactivated first
    const admins = (await auth.staff.list()).filter((m) => m.role === "admin" && m.active);
    const keeper = await addStaff(auth, "admin");
    const actor = { id: keeper.id, email: keeper.email, role: "admin" as const };
    for (const a of admins) await auth.staff.deactivate(actor, a.id);

    const created = await auth.staff.createStaff(actor, {
      email: "New.Person@Example.com",
      name: "New Person",
      role: "support",
    });
    expect(created.staff).toMatchObject({ email: "new.person@example.com", role: "support", active: true });
    expect(created.generatedPassword).toHaveLength(24);
    expect((await auth.signIn({ email: "new.person@example.com", password: created.generatedPassword! })).ok).toBe(
      true,
    );
    expect(
      await thrown(auth.staff.createStaff(actor, { email: "new.person@example.com", name: "Again", role: "ops" })),
    ).toMatchObject({
      code: "email_taken",
    });

    expect((await auth.staff.changeRole(actor, created.staff.id, "ops")).role).toBe("ops");
    const self = await thrown(auth.staff.deactivate(actor, keeper.id));
    expect(self).toBeInstanceOf(StaffError);
    expect((self as StaffError).code).toBe("self");
    expect(((await thrown(auth.staff.changeRole(actor, keeper.id, "ops"))) as StaffError).code).toBe("self");

    const other = await addStaff(auth, "admin");
    const otherActor = { id: other.id, email: other.email, role: "admin" as const };
    await auth.staff.deactivate(otherActor, keeper.id); // allowed: another admin remains
    const last = await thrown(auth.staff.changeRole({ id: null, email: "system", role: null }, other.id, "finance"));
    expect((last as StaffError).code).toBe("last_admin");

    const reset = await auth.staff.resetPassword(otherActor, created.staff.id);
    expect((await auth.signIn({ email: "new.person@example.com", password: reset.generatedPassword! })).ok).toBe(true);

    const trail = (await audit().list({ action: "staff." }, { pageSize: 200, page: 1 })).rows;
    const actions = trail
      .filter((r) => r.params.email === "new.person@example.com")
      .map((r) => `${r.action}:${r.status}`);
    expect(actions.sort()).toEqual([
      "staff.change_role:succeeded",
      "staff.create:failed",
      "staff.create:succeeded",
      "staff.reset_password:succeeded",
    ]);
    expect(trail.find((r) => r.action === "staff.create" && r.status === "failed")?.errorCode).toBe("email_taken");
    expect(
      trail.find((r) => r.action === "staff.change_role" && r.params.staffId === created.staff.id)?.params,
    ).toMatchObject({
      from: "support",
      to: "ops",
    });
    expect(JSON.stringify(trail)).not.toMatch(
      new RegExp(`${created.generatedPassword}|${reset.generatedPassword}|scrypt\\$`),
    );
    expect(trail.find((r) => r.action === "staff.deactivate" && r.status === "failed")?.errorCode).toBe("self");
  });
});

it("safeRedirect keeps only same-site paths", () => {
  expect(safeRedirect("/customers?q=1")).toBe("/customers?q=1");
  expect(safeRedirect("//evil.example")).toBe("/");
  expect(safeRedirect("/\\evil.example")).toBe("/");
  expect(safeRedirect("https://evil.example")).toBe("/");
  expect(safeRedirect(null, "/home")).toBe("/home");
});

it("safeRedirect refuses what browsers would turn into another origin, and never throws", () => {
  // Browsers drop tabs and newlines from URLs: "/\t/evil.example/x" becomes "//evil.example/x".
  expect(safeRedirect("/\t/evil.example/x")).toBe("/");
  expect(safeRedirect("/\n/evil.example/x")).toBe("/");
  expect(safeRedirect("/\r\n/evil.example")).toBe("/");
  expect(safeRedirect("/customers\nSet-Cookie: x=1")).toBe("/");
  expect(safeRedirect("/\u0000/evil.example")).toBe("/");
  expect(safeRedirect("/./\\evil.example")).toBe("/");
  expect(safeRedirect("/%2F%2Fevil.example")).toBe("/%2F%2Fevil.example"); // a path on this origin
  expect(safeRedirect("/customers/a b#invoices")).toBe("/customers/a%20b#invoices");
  expect(safeRedirect("javascript:alert(1)")).toBe("/");
});
