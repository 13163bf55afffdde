/** For the auth tests: an auth instance with a controllable clock on a scratch database, and signed-in requests. */
import type { Kysely } from "kysely";
import type { DB } from "../db/index.ts";
import { createAuth } from "../auth/auth.ts";
import { SYSTEM_ACTOR } from "../auth/staff.ts";
import { TEST_COST } from "../auth/password.ts";
import type { Role } from "../../app/contracts/permissions.ts";

export const APP_ORIGIN = "https://console.test";
export const SECRET = "test-secret-0123456789-abcdefghijklmnop";

export function testClock(start = Date.UTC(2026, 10, 21, 9)) {
  const clock = { now: start, tick: (ms: number) => (clock.now += ms), fn: () => clock.now };
  return clock;
}

export function makeAuth(db: Kysely<DB>, clock = testClock()) {
  const auth = createAuth({ db, secrets: [SECRET], secureCookies: true, clock: clock.fn, passwordCost: TEST_COST });
  return { auth, clock };
}

let seq = 0;
/** A fresh account with a known password (unique email per call). */
export async function addStaff(
  auth: ReturnType<typeof makeAuth>["auth"],
  role: Role,
  password = "a-good-long-password",
) {
  const email = `${role}-${++seq}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const { staff } = await auth.staff.createStaff(SYSTEM_ACTOR, { email, name: `Test ${role}`, role, password });
  return { ...staff, password };
}

/** A request from the console's own origin carrying the session cookie from a Set-Cookie header. */
export function requestWithCookie(
  setCookie: string | null,
  init: { method?: string; path?: string; headers?: Record<string, string> } = {},
) {
  const headers = new Headers(init.headers);
  if (setCookie) headers.set("Cookie", setCookie.split(";")[0]!);
  if ((init.method ?? "GET") !== "GET" && !headers.has("Origin")) headers.set("Origin", APP_ORIGIN);
  return new Request(`${APP_ORIGIN}${init.path ?? "/customers"}`, { method: init.method ?? "GET", headers });
}

export async function thrown(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}
