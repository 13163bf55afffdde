// /readyz's answer: which part failed, a hung check bounded by its timeout, answers shared for a moment.
import { describe, expect, it } from "vitest";
import { createReadiness, type ReadinessPart } from "./readiness.ts";

function checks(state: Record<ReadinessPart, "ok" | "down" | "hang">, calls: ReadinessPart[]) {
  const check = (part: ReadinessPart) => async () => {
    calls.push(part);
    if (state[part] === "down") throw new Error(`${part} refused`);
    if (state[part] === "hang") await new Promise(() => {});
  };
  return { database: check("database"), commet: check("commet") };
}

describe("readiness", () => {
  it("is ready when both parts answer, and names the part that does not", async () => {
    const state = { database: "ok", commet: "ok" } as Record<ReadinessPart, "ok" | "down" | "hang">;
    let now = 0;
    const logged: string[] = [];
    const readiness = createReadiness({ checks: checks(state, []), clock: () => now, log: (l) => logged.push(l) });
    expect(await readiness()).toEqual({ ready: true, database: "ok", commet: "ok" });
    state.commet = "down";
    now += 5_000;
    expect(await readiness()).toEqual({ ready: false, database: "ok", commet: "failed" });
    expect(logged).toEqual(["readiness: commet failed: commet refused"]);
    state.commet = "ok";
    state.database = "down";
    now += 5_000;
    expect(await readiness()).toEqual({ ready: false, database: "failed", commet: "ok" });
  });

  it("fails a check that does not answer within its timeout", async () => {
    const readiness = createReadiness({
      checks: checks({ database: "hang", commet: "ok" }, []),
      timeoutMs: 50,
      log: () => {},
    });
    expect(await readiness()).toEqual({ ready: false, database: "failed", commet: "ok" });
  });

  it("answers concurrent and repeated probes from one check until the cache expires", async () => {
    const calls: ReadinessPart[] = [];
    let now = 1_000;
    const readiness = createReadiness({
      checks: checks({ database: "ok", commet: "ok" }, calls),
      cacheMs: 2_000,
      clock: () => now,
      log: () => {},
    });
    await Promise.all([readiness(), readiness(), readiness()]);
    now += 1_999;
    await readiness();
    expect(calls).toEqual(["database", "commet"]);
    now += 1;
    await readiness();
    expect(calls).toEqual(["database", "commet", "database", "commet"]);
  });
});
