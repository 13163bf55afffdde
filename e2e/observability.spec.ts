import path from "node:path";
import { spawnConsole, type ConsoleProcess } from "../server/console-process.ts";
import { E2E_SANDBOX_KEY } from "./global-setup.ts";
import { expect, test } from "./support/fixtures.ts";

/**
 * The production console's output: one plain "console listening on URL" line (what tests, benches and
 * people wait for) and otherwise JSON log lines; the access line of a request carries its id and route.
 */
test.describe("logs of the production console", () => {
  let running: ConsoleProcess | undefined;
  test.afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  test("prints the ready line once, logs JSON with the request id, route and path (no query)", async ({
    request: _request,
  }, testInfo) => {
    test.setTimeout(90_000);
    const lines: string[] = [];
    running = await spawnConsole(
      {
        COMMET_API_KEY: E2E_SANDBOX_KEY,
        COMMET_API_URL: process.env.E2E_SANDBOX_URL!,
        SESSION_SECRET: "observability-spec-session-secret-0123456789",
        DATA_DIR: path.join(testInfo.outputDir, "data"),
        WRITE_RESOLVER_INTERVAL_SECONDS: "0",
        LOG_LEVEL: "info",
      },
      { log: (line) => lines.push(line) },
    );
    expect(running.readyLine).toMatch(
      /^console listening on http:\/\/127\.0\.0\.1:\d+ \(Commet: http:\/\/127\.0\.0\.1:\d+\) with \d+ workers?$/,
    );

    const health = await fetch(`${running.url}/healthz`, { headers: { "x-request-id": "e2e-observability-1" } });
    expect(health.headers.get("x-request-id")).toBe("e2e-observability-1");
    const login = await fetch(`${running.url}/login?email=someone@example.org`);
    const loginId = login.headers.get("x-request-id")!;
    expect(loginId).toMatch(/^[0-9a-f-]{36}$/);

    const records = () => lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    await expect.poll(() => records().filter((r) => r.component === "http").length).toBeGreaterThanOrEqual(2);
    expect(records().find((r) => r.requestId === "e2e-observability-1")).toMatchObject({
      level: 30,
      component: "http",
      msg: "request",
      method: "GET",
      path: "/healthz",
      route: "/healthz",
      status: 200,
    });
    expect(records().find((r) => r.requestId === loginId)).toMatchObject({ path: "/login", route: "routes/login" });
    expect(lines.join("\n")).not.toContain("someone@example.org");
    // Start-up steps and the directory sync are fields, not prefixes; no second ready line.
    expect(records().some((r) => r.component === "startup" && typeof r.durationMs === "number")).toBe(true);
    expect(lines.filter((l) => l.startsWith("console listening on"))).toEqual([]);
    expect(lines.filter((l) => !l.startsWith("{"))).toEqual([]);
  });
});
