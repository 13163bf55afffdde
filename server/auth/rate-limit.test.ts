import { expect, it } from "vitest";
import { describeEachEngine } from "../testing/db.ts";
import { FAILURE_WINDOW_MS, createSignInLimiter, lockedMessage } from "./rate-limit.ts";
import { testClock } from "../testing/auth.ts";

describeEachEngine("sign-in rate limit", (ctx) => {
  it("counts in the database: failures recorded by one process lock the account in another", async () => {
    const clock = testClock();
    const a = createSignInLimiter(ctx.db, { clock: clock.fn });
    const b = createSignInLimiter(ctx.db, { clock: clock.fn });
    for (let i = 0; i < 3; i++) await a.recordFailure("x@example.com", `10.0.0.${i}`);
    for (let i = 0; i < 2; i++) await b.recordFailure("x@example.com", `10.0.1.${i}`);
    const gate = await a.check("x@example.com", "10.9.9.9");
    expect(gate).toEqual({
      allowed: false,
      scope: "account",
      retryAfterSeconds: FAILURE_WINDOW_MS / 1000,
      message: lockedMessage(900),
    });
    expect(await b.check("other@example.com", "10.9.9.9")).toEqual({ allowed: true });
    clock.tick(FAILURE_WINDOW_MS);
    expect(await b.check("x@example.com", "10.9.9.9")).toEqual({ allowed: true });
  });

  it("reset clears an account's failures; old rows are pruned", async () => {
    const clock = testClock();
    const limiter = createSignInLimiter(ctx.db, { clock: clock.fn, maxFailures: 2 });
    await limiter.recordFailure("y@example.com", null);
    await limiter.recordFailure("y@example.com", null);
    expect((await limiter.check("y@example.com", null)).allowed).toBe(false);
    await limiter.reset("y@example.com");
    expect((await limiter.check("y@example.com", null)).allowed).toBe(true);
    clock.tick(FAILURE_WINDOW_MS + 1);
    await limiter.recordFailure("z@example.com", null); // prunes everything older than the window
    const rows = await ctx.db.selectFrom("sign_in_attempts").select("email").execute();
    expect(rows.map((r) => r.email)).toEqual(["z@example.com"]);
  });
});

it("words the wait time for people", () => {
  expect(lockedMessage(30)).toBe("Too many failed sign-in attempts. Try again in 1 minute.");
  expect(lockedMessage(61)).toBe("Too many failed sign-in attempts. Try again in 2 minutes.");
});
