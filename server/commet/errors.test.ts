import http from "node:http";
import type { AddressInfo } from "node:net";
import { Commet } from "@commet/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerCommet, problemStatus, throwCommetProblem, toCommetProblem } from "./errors.ts";
import { installCommetRouting } from "./routing.ts";

/**
 * Real SDK errors, produced by the SDK against a local server that answers each
 * path with a canned Commet error envelope, then mapped by toCommetProblem.
 */
const answers: Record<string, { status: number; body: string; type?: string }> = {
  "/api/v1/customers/unauthorized": {
    status: 401,
    body: JSON.stringify({
      success: false,
      error: { type: "authentication_error", code: "unauthorized", message: "Invalid API key" },
    }),
  },
  "/api/v1/customers/missing": {
    status: 404,
    body: JSON.stringify({
      success: false,
      error: { type: "not_found_error", code: "customer_not_found", message: "Customer cus_x not found" },
    }),
  },
  "/api/v1/customers/limited": {
    status: 429,
    body: JSON.stringify({
      success: false,
      error: { type: "rate_limit_error", code: "rate_limited", message: "Slow down" },
    }),
  },
  "/api/v1/customers/broken": {
    status: 500,
    body: JSON.stringify({
      success: false,
      error: { type: "internal_error", code: "internal_error", message: "boom" },
    }),
  },
  "/api/v1/customers/html": { status: 200, body: "<!doctype html><title>Not Commet</title>", type: "text/html" },
  "/api/v1/customers/invalid": {
    status: 400,
    body: JSON.stringify({
      success: false,
      error: {
        type: "invalid_request_error",
        code: "validation_error",
        message: "Invalid input",
        details: [{ field: "email", message: "Invalid email" }],
      },
    }),
  },
};

let server: http.Server;
let origin: string;
let uninstall: () => void;
const commet = new Commet({ apiKey: "ck_errors_test", retries: 0, telemetry: false });

async function sdkError(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error("expected the SDK call to fail");
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    const answer = answers[path] ?? { status: 500, body: "{}" };
    res.writeHead(answer.status, { "content-type": answer.type ?? "application/json" });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  uninstall = installCommetRouting(origin);
});

afterAll(async () => {
  uninstall();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("toCommetProblem", () => {
  it("a rejected key → check COMMET_API_KEY", async () => {
    const problem = toCommetProblem(await sdkError(() => commet.customers.get({ id: "unauthorized" })), origin);
    expect(problem).toMatchObject({ kind: "unauthorized", variable: "COMMET_API_KEY", retryable: false });
    expect(problem?.message).toBe("Commet rejected the API key — check COMMET_API_KEY");
  });

  it("a closed port → cannot be reached, check COMMET_API_URL", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedOrigin = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    installCommetRouting(closedOrigin);
    try {
      const problem = toCommetProblem(await sdkError(() => commet.plans.list()), closedOrigin);
      expect(problem).toMatchObject({ kind: "unreachable", variable: "COMMET_API_URL", retryable: true });
      expect(problem?.message).toBe(`Commet cannot be reached at ${closedOrigin} — check COMMET_API_URL / network`);
    } finally {
      installCommetRouting(origin);
    }
  });

  it("not found → 404 with Commet's message", async () => {
    const problem = toCommetProblem(await sdkError(() => commet.customers.get({ id: "missing" })), origin);
    expect(problem).toMatchObject({
      kind: "not_found",
      message: "Customer cus_x not found",
      code: "customer_not_found",
    });
    expect(problemStatus.not_found).toBe(404);
  });

  it("rate limited and server errors are retryable", async () => {
    expect(toCommetProblem(await sdkError(() => commet.customers.get({ id: "limited" })), origin)).toMatchObject({
      kind: "rate_limited",
      retryable: true,
    });
    expect(toCommetProblem(await sdkError(() => commet.customers.get({ id: "broken" })), origin)).toMatchObject({
      kind: "unavailable",
      retryable: true,
    });
  });

  it("validation errors keep their field errors", async () => {
    const problem = toCommetProblem(await sdkError(() => commet.customers.get({ id: "invalid" })), origin);
    expect(problem).toMatchObject({ kind: "invalid_request", fieldErrors: { email: ["Invalid email"] } });
  });

  it("something that is not the Commet API → check COMMET_API_URL", async () => {
    const problem = toCommetProblem(await sdkError(() => commet.customers.get({ id: "html" })), origin);
    expect(problem).toMatchObject({ kind: "not_commet", variable: "COMMET_API_URL" });
  });

  it("leaves errors it does not understand alone", () => {
    expect(toCommetProblem(new Error("a bug"), origin)).toBeNull();
    expect(() => throwCommetProblem(new RangeError("a bug"))).toThrow(RangeError);
  });

  it("answerCommet answers an expected failure with its problem and status, and rethrows the rest", async () => {
    const missing = await answerCommet(() => commet.customers.get({ id: "missing" }));
    expect(missing).toMatchObject({ ok: false, status: 404, problem: { kind: "not_found" } });
    expect(await answerCommet(async () => 42)).toEqual({ ok: true, value: 42 });
    await expect(answerCommet(async () => Promise.reject(new RangeError("a bug")))).rejects.toThrow(RangeError);
  });
});
