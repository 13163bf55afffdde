// Leases on both engines: one holder among racers, takeover after expiry or release, work stopped when lost.
import { sql } from "kysely";
import { expect, it, vi } from "vitest";
import { describeEachEngine } from "../testing/db.ts";
import { acquireLease, leaseHolder, releaseLease, runUnderLease, type LeasedWork } from "./leases.ts";

describeEachEngine(
  "leases",
  (ctx) => {
    it("gives a free lease to exactly one of many concurrent callers, and renews it for its holder only", async () => {
      const holders = Array.from({ length: 8 }, (_, i) => `holder-${i}`);
      const won = await Promise.all(
        holders.map((holder) => acquireLease(ctx.database, { name: "job", holder, ttlMs: 60_000 })),
      );
      expect(won.filter(Boolean)).toHaveLength(1);
      const winner = holders[won.indexOf(true)]!;
      expect(await leaseHolder(ctx.database, "job")).toBe(winner);
      expect(await acquireLease(ctx.database, { name: "job", holder: winner, ttlMs: 60_000 })).toBe(true);
      const other = holders.find((h) => h !== winner)!;
      expect(await acquireLease(ctx.database, { name: "job", holder: other, ttlMs: 60_000 })).toBe(false);
    });

    it("lets another holder in once the lease expired or was released", async () => {
      expect(await acquireLease(ctx.database, { name: "short", holder: "a", ttlMs: 150 })).toBe(true);
      expect(await acquireLease(ctx.database, { name: "short", holder: "b", ttlMs: 150 })).toBe(false);
      await vi.waitFor(async () => expect(await leaseHolder(ctx.database, "short")).toBeNull(), { timeout: 3_000 });
      expect(await acquireLease(ctx.database, { name: "short", holder: "b", ttlMs: 60_000 })).toBe(true);
      await releaseLease(ctx.database, { name: "short", holder: "a" }); // not a's any more: nothing happens
      expect(await leaseHolder(ctx.database, "short")).toBe("b");
      await releaseLease(ctx.database, { name: "short", holder: "b" });
      expect(await acquireLease(ctx.database, { name: "short", holder: "a", ttlMs: 60_000 })).toBe(true);
    });

    it("runs the work in one process at a time and hands it over when the holder stops", async () => {
      const running = new Set<string>();
      const starts: string[] = [];
      const worker = (id: string): LeasedWork =>
        runUnderLease({
          database: async () => ctx.database,
          name: "background",
          holder: id,
          ttlMs: 1_000,
          intervalMs: 100,
          log: () => {},
          start: async () => {
            running.add(id);
            starts.push(id);
            return async () => void running.delete(id);
          },
        });
      const a = worker("a");
      const b = worker("b");
      await vi.waitFor(() => expect(running.size).toBe(1));
      const first = a.held() ? a : b;
      const second = first === a ? b : a;
      // Several renewals later, still the same single holder.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect([...running]).toEqual([first.holder]);
      expect(second.held()).toBe(false);

      await first.stop();
      expect(running.has(first.holder)).toBe(false);
      await vi.waitFor(() => expect([...running]).toEqual([second.holder]), { timeout: 2_000 });
      expect(await leaseHolder(ctx.database, "background")).toBe(second.holder);
      await second.stop();
      expect(running.size).toBe(0);
      expect(starts).toEqual([first.holder, second.holder]);
    });

    it("stops the work when another process took the lease (after this one could not renew in time)", async () => {
      let active = false;
      const log: string[] = [];
      const work = runUnderLease({
        database: async () => ctx.database,
        name: "stolen",
        holder: "slow",
        ttlMs: 60_000,
        intervalMs: 100,
        log: (line) => log.push(line),
        start: async () => {
          active = true;
          return async () => void (active = false);
        },
      });
      await vi.waitFor(() => expect(active).toBe(true));
      // As if the lease had expired and another process had taken it meanwhile.
      await sql`update leases set holder = ${"thief"}`.execute(ctx.db);
      await vi.waitFor(() => expect(active).toBe(false));
      expect(log.some((line) => line.includes("lease stolen lost"))).toBe(true);
      await work.stop();
      expect(await leaseHolder(ctx.database, "stolen")).toBe("thief");
    });
  },
  { fresh: "each" },
);
