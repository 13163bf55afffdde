import { expect, it } from "vitest";
import { describeEachEngine } from "../testing/db.ts";
import { createAuditLog } from "../audit/audit-log.ts";
import { DEFAULT_ADMIN_EMAIL, DEMO_ACCOUNTS, ensureInitialStaff } from "./bootstrap.ts";
import { makeAuth } from "../testing/auth.ts";

describeEachEngine(
  "first-run accounts",
  (ctx) => {
    const logs: string[] = [];
    const log = (line: string) => logs.push(line);

    it("sandbox mode: one demo account per role, signing in with the documented passwords; once only", async () => {
      const { auth } = makeAuth(ctx.db);
      const result = await ensureInitialStaff(auth.staff, { mode: "sandbox", log });
      expect(result.created.map((c) => c.role).sort()).toEqual(["admin", "finance", "ops", "support"]);
      for (const demo of DEMO_ACCOUNTS) {
        const r = await auth.signIn({ email: demo.email, password: demo.password });
        expect(r.ok && r.staff.role).toBe(demo.role);
      }
      expect(await ensureInitialStaff(auth.staff, { mode: "sandbox", log })).toEqual({ created: [], deactivated: [] });
      expect(await auth.staff.count()).toBe(4);
      // the bootstrap is audited, by "system", without passwords
      const trail = (await createAuditLog(ctx.db).list({ action: "staff.create" }, { pageSize: 50, page: 1 })).rows;
      expect(trail).toHaveLength(4);
      expect(trail.every((r) => r.actor.email === "system" && r.status === "succeeded")).toBe(true);
      expect(JSON.stringify(trail)).not.toContain("demo-admin-password");
    });

    it("live mode, empty database: an admin with a generated password printed once", async () => {
      const { auth } = makeAuth(ctx.db);
      const result = await ensureInitialStaff(auth.staff, { mode: "live", log });
      expect(result.created).toEqual([{ email: DEFAULT_ADMIN_EMAIL, role: "admin" }]);
      const line = logs.find((l) => l.includes(DEFAULT_ADMIN_EMAIL));
      const password = /password (\S+) — shown once/.exec(line ?? "")?.[1];
      expect(password).toBeDefined();
      const r = await auth.signIn({ email: DEFAULT_ADMIN_EMAIL, password: password! });
      expect(r.ok && r.staff.role).toBe("admin");
      const before = logs.length;
      expect((await ensureInitialStaff(auth.staff, { mode: "live", log })).created).toEqual([]);
      expect(logs.slice(before).join("\n")).not.toContain(password!);
      expect(await auth.staff.findByEmail("admin@demo.local")).toBeNull();
    });

    it("live mode with CONSOLE_ADMIN_EMAIL / CONSOLE_ADMIN_PASSWORD: that admin, password not printed", async () => {
      const { auth } = makeAuth(ctx.db);
      await ensureInitialStaff(auth.staff, {
        mode: "live",
        adminEmail: "Boss@Example.com",
        adminPassword: "a-chosen-password",
        log,
      });
      expect(logs.join("\n")).not.toContain("a-chosen-password");
      const r = await auth.signIn({ email: "boss@example.com", password: "a-chosen-password" });
      expect(r.ok && r.staff.role).toBe("admin");
      await expect(
        ensureInitialStaff(auth.staff, { mode: "live", adminEmail: "x@example.com", adminPassword: "short", log }),
      ).rejects.toThrow();
    });

    it("switching a sandbox database to live mode creates a real admin and deactivates the demo accounts", async () => {
      const { auth } = makeAuth(ctx.db);
      await ensureInitialStaff(auth.staff, { mode: "sandbox", log });
      const result = await ensureInitialStaff(auth.staff, { mode: "live", adminEmail: "owner@example.com", log });
      expect(result.created).toEqual([{ email: "owner@example.com", role: "admin" }]);
      expect(result.deactivated.sort()).toEqual(DEMO_ACCOUNTS.map((d) => d.email).sort());
      const demo = DEMO_ACCOUNTS[0]!;
      expect((await auth.signIn({ email: demo.email, password: demo.password })).ok).toBe(false);
    });
  },
  { fresh: "each" },
);
