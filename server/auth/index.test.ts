/**
 * The route-facing surface end to end on the process database (SQLite under a temporary DATA_DIR):
 * startup, sign-in with a demo account, requireStaff, a staff change, the audit list and CSV export.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";

const dataDir = mkdtempSync(join(tmpdir(), "console-auth-index-"));
for (const name of [
  "DATABASE_URL",
  "COMMET_API_KEY",
  "SESSION_SECRET",
  "CONSOLE_ADMIN_EMAIL",
  "CONSOLE_ADMIN_PASSWORD",
]) {
  delete process.env[name];
}
process.env.DATA_DIR = dataDir;

const authModule = await import("./index.ts");
const auditModule = await import("../audit/index.ts");
const dbModule = await import("../db/index.ts");

const origin = "http://localhost:3000";
const lines: string[] = [];

beforeAll(async () => {
  await dbModule.getReadyDb();
  await authModule.startAuth({ mode: "sandbox", dataDir, nodeEnv: "development", log: (l) => lines.push(l) });
});
afterAll(async () => {
  await dbModule.closeDb();
  rmSync(dataDir, { recursive: true, force: true });
});

it("starts in sandbox mode with the demo accounts and a persisted session secret", async () => {
  expect(authModule.authMode()).toBe("sandbox");
  expect(lines.join("\n")).toContain("admin@demo.local");
  expect((await authModule.listStaff()).map((s) => s.email).sort()).toEqual(
    authModule.DEMO_ACCOUNTS.map((d) => d.email).sort(),
  );
  expect((await dbModule.getReadyDb()).location).toBe(join(dataDir, "console.sqlite"));
});

it("signs in, authorizes by role, changes staff and exports the audit trail", async () => {
  const admin = authModule.DEMO_ACCOUNTS.find((d) => d.role === "admin")!;
  const result = await authModule.signIn({ email: admin.email, password: admin.password, ip: "127.0.0.1" });
  if (!result.ok) throw new Error(result.message);
  expect(result.setCookie).toMatch(/^console_session=/); // development: not Secure, no __Host- prefix
  expect(result.setCookie).not.toMatch(/Secure/);
  const cookie = result.setCookie.split(";")[0]!;
  const post = new Request(`${origin}/admin/staff`, { method: "POST", headers: { Cookie: cookie, Origin: origin } });
  const me = await authModule.requireStaff(post, "staff:manage");
  const { staff } = await authModule.createStaff(me, { email: "new@example.com", name: "New", role: "finance" });
  await authModule.deactivateStaff(me, staff.id);

  const page = await auditModule.listAudit({ actor: admin.email }, { pageSize: 10, page: 1 });
  expect(page.rows.map((r) => r.action)).toEqual(["staff.deactivate", "staff.create", "sign_in.succeeded"]);

  const response = auditModule.auditCsvResponse(auditModule.parseAuditSearch("action=staff.").filters, {
    filename: "audit.csv",
  });
  expect(response.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
  expect(response.headers.get("Content-Disposition")).toBe('attachment; filename="audit.csv"');
  const csv = await response.text();
  const rows = csv.trimEnd().split("\n");
  expect(rows[0]).toMatch(/^id,created_at,/);
  expect(rows).toHaveLength(1 + 4 + 2); // header, 4 demo accounts (system), create + deactivate
  expect(csv).not.toMatch(/demo-admin-password|scrypt\$/);

  const { setCookie } = await authModule.signOut(post);
  expect(setCookie).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/);
  expect(await authModule.getCurrentStaff(post)).toBeNull();
});
