import { expect, it } from "vitest";
import { createDatabase } from "../db/index.ts";
import { describeEachEngine } from "../testing/db.ts";
import { FAILURE_WINDOW_MS, SIGN_IN_LIMITS, createSignInLimiter, lockedMessage } from "./rate-limit.ts";
import { testClock } from "../testing/auth.ts";

describeEachEngine(
  "sign-in throttling",
  (ctx) => {
    it("parallel attempts on one account from one address: exactly the limit get through, across instances", async () => {
      const clock = testClock();
      // On PostgreSQL a second pool on the same database stands for a second console instance (instances
      // beyond one run on PostgreSQL); SQLite's single connection per process serializes through Kysely.
      const other = ctx.engine === "postgres" ? createDatabase(ctx.database.location) : null;
      try {
        const a = createSignInLimiter(ctx.db, { clock: clock.fn });
        const b = createSignInLimiter(other?.db ?? ctx.db, { clock: clock.fn });
        const gates = await Promise.all(
          Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).reserve("admin@example.com", "203.0.113.9")),
        );
        expect(gates.filter((gate) => gate.allowed)).toHaveLength(SIGN_IN_LIMITS.perAccountAndAddress);
        expect(gates.find((gate) => !gate.allowed)).toMatchObject({
          allowed: false,
          scope: "account_and_address",
          retryAfterSeconds: FAILURE_WINDOW_MS / 1000,
          message: lockedMessage(900),
        });
      } finally {
        await other?.close();
      }
    });

    it("an attacker's failures lock only their own address out of the account", async () => {
      const clock = testClock();
      const limiter = createSignInLimiter(ctx.db, { clock: clock.fn });
      for (let i = 0; i < SIGN_IN_LIMITS.perAccountAndAddress; i++) {
        expect((await limiter.reserve("owner@example.com", "198.51.100.7")).allowed).toBe(true);
      }
      expect(await limiter.reserve("owner@example.com", "198.51.100.7")).toMatchObject({ allowed: false });
      expect((await limiter.reserve("owner@example.com", "192.0.2.10")).allowed).toBe(true);
      clock.tick(FAILURE_WINDOW_MS);
      expect((await limiter.reserve("owner@example.com", "198.51.100.7")).allowed).toBe(true);
    });

    it("one address guessing across accounts is locked out of all of them", async () => {
      const clock = testClock();
      const limiter = createSignInLimiter(ctx.db, { clock: clock.fn, limits: { perAddress: 3 } });
      for (let i = 0; i < 3; i++)
        expect((await limiter.reserve(`guess-${i}@example.com`, "10.5.5.5")).allowed).toBe(true);
      expect(await limiter.reserve("someone@example.com", "10.5.5.5")).toMatchObject({
        allowed: false,
        scope: "address",
      });
      expect((await limiter.reserve("someone@example.com", "10.6.6.6")).allowed).toBe(true);
    });

    it("guessing one account from many addresses stays slow, except from addresses the account signs in from", async () => {
      const clock = testClock();
      const limiter = createSignInLimiter(ctx.db, { clock: clock.fn, limits: { perAccount: 4 } });
      for (let i = 0; i < 4; i++)
        expect((await limiter.reserve("target@example.com", `10.7.0.${i}`)).allowed).toBe(true);
      expect(await limiter.reserve("target@example.com", "10.7.1.1")).toMatchObject({
        allowed: false,
        scope: "account",
      });
      // The owner's address: a session from it exempts it from the account-wide limit.
      const staffId = "staff-target";
      await ctx.db
        .insertInto("staff")
        .values({
          id: staffId,
          email: "target@example.com",
          name: "Target",
          role: "ops",
          password_hash: "x",
          created_at: clock.now,
          updated_at: clock.now,
          deactivated_at: null,
          last_sign_in_at: null,
        })
        .execute();
      await ctx.db
        .insertInto("sessions")
        .values({
          id_hash: "h-target",
          staff_id: staffId,
          created_at: clock.now,
          last_seen_at: clock.now,
          expires_at: clock.now + 1,
          revoked_at: null,
          ip: "192.0.2.55",
          user_agent: null,
        })
        .execute();
      expect((await limiter.reserve("target@example.com", "192.0.2.55")).allowed).toBe(true);
    });

    it("a success clears that account's failures from that address; old rows are pruned", async () => {
      const clock = testClock();
      const limiter = createSignInLimiter(ctx.db, { clock: clock.fn, limits: { perAccountAndAddress: 2 } });
      await limiter.reserve("y@example.com", null);
      await limiter.reserve("y@example.com", null);
      expect((await limiter.reserve("y@example.com", null)).allowed).toBe(false);
      await limiter.succeeded("y@example.com", null);
      expect((await limiter.reserve("y@example.com", null)).allowed).toBe(true);
      clock.tick(FAILURE_WINDOW_MS + 1);
      await limiter.reserve("z@example.com", null); // prunes everything older than the window
      const rows = await ctx.db
        .selectFrom("sign_in_attempts")
        .select("email")
        .where("email", "in", ["y@example.com", "z@example.com"])
        .execute();
      expect(rows.map((r) => r.email)).toEqual(["z@example.com"]);
    });
  },
  { fresh: "each" },
);

it("words the wait time for people", () => {
  expect(lockedMessage(30)).toBe("Too many failed sign-in attempts. Try again in 1 minute.");
  expect(lockedMessage(61)).toBe("Too many failed sign-in attempts. Try again in 2 minutes.");
});
