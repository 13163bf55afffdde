import { beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../testing/db.ts";
import {
  ABSOLUTE_TIMEOUT_MS,
  IDLE_TIMEOUT_MS,
  TOUCH_INTERVAL_MS,
  createSessionStore,
  hashToken,
  type SessionStore,
} from "./sessions.ts";
import { addStaff, makeAuth, testClock } from "../testing/auth.ts";

const HOUR = 3_600_000;

describeEachEngine("sessions", (ctx) => {
  const clock = testClock();
  let store: SessionStore;
  let auth: ReturnType<typeof makeAuth>["auth"];
  beforeAll(() => {
    auth = makeAuth(ctx.db, clock).auth;
    store = createSessionStore(ctx.db, { clock: clock.fn });
  });

  it("stores only a hash of the token and resolves the token to the staff member", async () => {
    const s = await addStaff(auth, "ops");
    const { token, expiresAt } = await store.createSession(s.id, { ip: "10.0.0.1", userAgent: "vitest" });
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(expiresAt).toBe(clock.now + ABSOLUTE_TIMEOUT_MS);
    const rows = await ctx.db.selectFrom("sessions").selectAll().where("staff_id", "=", s.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id_hash).toBe(hashToken(token));
    expect(JSON.stringify(rows)).not.toContain(token);
    const found = await store.getSession(token);
    expect(found?.staff.email).toBe(s.email);
    expect(found?.session).toMatchObject({ ip: "10.0.0.1", userAgent: "vitest", staffId: s.id });
    expect(await store.getSession("not-a-token")).toBeNull();
    expect(await store.getSession(null)).toBeNull();
  });

  it("expires after 12 hours idle", async () => {
    const s = await addStaff(auth, "support");
    const { token } = await store.createSession(s.id);
    clock.tick(IDLE_TIMEOUT_MS - 1000);
    expect(await store.getSession(token)).not.toBeNull();
    const { token: idle } = await store.createSession(s.id);
    clock.tick(IDLE_TIMEOUT_MS);
    expect(await store.getSession(idle)).toBeNull();
  });

  it("activity keeps it alive, but never past 7 days", async () => {
    const s = await addStaff(auth, "finance");
    const { token } = await store.createSession(s.id);
    let alive = 0;
    for (let elapsed = 0; elapsed < ABSOLUTE_TIMEOUT_MS - 11 * HOUR; elapsed += 11 * HOUR) {
      clock.tick(11 * HOUR);
      expect(await store.getSession(token)).not.toBeNull();
      alive++;
    }
    expect(alive).toBeGreaterThan(12); // well past the idle limit thanks to activity
    clock.tick(11 * HOUR); // now beyond created_at + 7 days
    expect(await store.getSession(token)).toBeNull();
  });

  it("writes last_seen_at at most once a minute", async () => {
    const s = await addStaff(auth, "ops");
    const { token } = await store.createSession(s.id);
    const seen = async () =>
      (
        await ctx.db
          .selectFrom("sessions")
          .select("last_seen_at")
          .where("id_hash", "=", hashToken(token))
          .executeTakeFirstOrThrow()
      ).last_seen_at;
    const start = await seen();
    clock.tick(TOUCH_INTERVAL_MS - 1);
    await store.getSession(token);
    expect(await seen()).toBe(start);
    clock.tick(1);
    await store.getSession(token);
    expect(await seen()).toBe(clock.now);
  });

  it("revokes one session, or all of an account's sessions", async () => {
    const s = await addStaff(auth, "ops");
    const a = await store.createSession(s.id);
    const b = await store.createSession(s.id);
    const c = await store.createSession(s.id);
    expect(await store.revokeSession(a.token)).toBe(true);
    expect(await store.revokeSession(a.token)).toBe(false);
    expect(await store.getSession(a.token)).toBeNull();
    expect(await store.getSession(b.token)).not.toBeNull();
    expect(await store.revokeAllForStaff(s.id)).toBe(2);
    expect(await store.getSession(b.token)).toBeNull();
    expect(await store.getSession(c.token)).toBeNull();
  });

  it("a deactivated account's sessions stop working at once", async () => {
    const admin = await addStaff(auth, "admin");
    const s = await addStaff(auth, "support");
    const { token } = await store.createSession(s.id);
    expect(await store.getSession(token)).not.toBeNull();
    await auth.staff.deactivate({ id: admin.id, email: admin.email, role: "admin" }, s.id);
    expect(await store.getSession(token)).toBeNull();
    const rows = await ctx.db.selectFrom("sessions").select("revoked_at").where("staff_id", "=", s.id).execute();
    expect(rows.every((r) => r.revoked_at !== null)).toBe(true);
    // reactivating does not bring old sessions back
    await auth.staff.reactivate({ id: admin.id, email: admin.email, role: "admin" }, s.id);
    expect(await store.getSession(token)).toBeNull();
  });
});
