import { beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../testing/db.ts";
import type { Auth } from "./auth.ts";
import { ROLES, can, type Role } from "../../app/contracts/permissions.ts";
import { ROUTE_ACCESS } from "../testing/route-access.ts";
import { addStaff, makeAuth, requestWithCookie, thrown } from "../testing/auth.ts";

/**
 * The role matrix of server/testing/route-access.ts through requireStaff on both database engines
 * (sessions and staff rows live there): every row × every role and signed out → allowed, 403, or a
 * redirect to /login; every non-exempt POST from a foreign origin → 403. e2e/role-matrix.spec.ts
 * walks the same table against the running console's routes.
 */
describeEachEngine("route access matrix through requireStaff", (ctx) => {
  let auth: Auth;
  const cookies = new Map<Role, string>();
  beforeAll(async () => {
    auth = makeAuth(ctx.db).auth;
    for (const role of ROLES) {
      const staff = await addStaff(auth, role);
      const result = await auth.signIn({ email: staff.email, password: staff.password });
      if (!result.ok) throw new Error(result.message);
      cookies.set(role, result.setCookie);
    }
  });

  async function outcome(row: (typeof ROUTE_ACCESS)[number], cookie: string | null, origin?: string) {
    const request = requestWithCookie(cookie, {
      method: row.method,
      path: row.path,
      headers: origin ? { Origin: origin } : {},
    });
    const permission = row.access === "public" || row.access === "signed-in" ? undefined : row.access;
    if (row.access === "public") return "allowed";
    const error = await thrown(auth.requireStaff(request, permission)).catch(() => null);
    if (error === null) return "allowed";
    if (error instanceof Response && error.status === 403) return "forbidden";
    if (
      error instanceof Response &&
      error.status === 302 &&
      error.headers.get("Location")?.startsWith("/login?redirectTo=")
    )
      return "login";
    return `unexpected ${String(error)}`;
  }

  it("every row × every role and signed out", async () => {
    const failures: string[] = [];
    for (const row of ROUTE_ACCESS) {
      for (const role of [null, ...ROLES] as Array<Role | null>) {
        const expected =
          row.access === "public"
            ? "allowed"
            : !role
              ? "login"
              : row.access === "signed-in" || can(role, row.access)
                ? "allowed"
                : "forbidden";
        const got = await outcome(row, role ? cookies.get(role)! : null);
        if (got !== expected)
          failures.push(
            `${row.method} ${row.path} ${row.intent ?? ""} as ${role ?? "signed out"}: ${got}, expected ${expected}`,
          );
      }
    }
    expect(failures).toEqual([]);
  });

  it("a cross-site POST is refused on every protected action, whatever the role", async () => {
    const posts = ROUTE_ACCESS.filter(
      (row) => row.method === "POST" && row.access !== "public" && !row.crossSiteExempt,
    );
    expect(posts.length).toBeGreaterThan(0);
    for (const row of posts) {
      for (const role of ROLES) {
        expect(
          await outcome(row, cookies.get(role)!, "https://evil.example"),
          `${row.path} ${row.intent ?? ""} as ${role}`,
        ).toBe("forbidden");
      }
    }
  });
});
