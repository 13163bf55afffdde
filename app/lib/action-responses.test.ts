import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readFormData } from "./form-body.server.ts";
import { opsWriteResponse, readOpsWriteForm, unknownIntent } from "./ops-form.server.ts";

const post = (body: BodyInit | null, contentType?: string) =>
  new Request("http://localhost:3000/customers/cus_1/usage", {
    method: "POST",
    body,
    headers: contentType ? { "Content-Type": contentType } : {},
  });

async function thrownResponse(promise: Promise<unknown>): Promise<Response> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Response) return error;
    throw error;
  }
  throw new Error("expected a thrown Response");
}

describe("ops write answers", () => {
  it("are real Responses: the status and no-store hold however the action is called", async () => {
    const invalid = opsWriteResponse({ kind: "field_errors", fieldErrors: { quantity: ["x"] }, message: "x" });
    expect(invalid).toBeInstanceOf(Response);
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get("Cache-Control")).toBe("no-store");
    expect(await invalid.json()).toEqual({ kind: "field_errors", fieldErrors: { quantity: ["x"] }, message: "x" });
    expect(unknownIntent().status).toBe(400);
    expect(opsWriteResponse({ kind: "forbidden", message: "no" }).status).toBe(403);
  });

  it("read the customer from the URL (404 when unusable) and the form from a form body only", async () => {
    const form = new URLSearchParams({ intent: "record", quantity: "5", customerId: "cus_other" });
    const read = await readOpsWriteForm(post(form, "application/x-www-form-urlencoded"), "cus_1");
    expect(read).toMatchObject({ customerId: "cus_1", intent: "record", form: { quantity: "5", customerId: "cus_1" } });
    const missing = await thrownResponse(readOpsWriteForm(post(form, "application/x-www-form-urlencoded"), " "));
    expect(missing.status).toBe(404);
    expect((await thrownResponse(readOpsWriteForm(post('{"quantity":5}', "application/json"), "cus_1"))).status).toBe(
      415,
    );
  });
});

describe("readFormData", () => {
  it("reads url-encoded and multipart forms", async () => {
    expect((await readFormData(post("a=1", "application/x-www-form-urlencoded"))).get("a")).toBe("1");
    const multipart = new FormData();
    multipart.set("a", "2");
    expect((await readFormData(new Request("http://x/", { method: "POST", body: multipart }))).get("a")).toBe("2");
  });

  it.each([
    ["JSON", '{"a":1}', "application/json"],
    ["text", "a=1", "text/plain"],
    ["no content type", "a=1", undefined],
  ])("refuses %s with 415, not a 500", async (_name, body, type) => {
    const answer = await thrownResponse(readFormData(post(body, type)));
    expect(answer.status).toBe(415);
    expect(await answer.text()).toMatch(/application\/x-www-form-urlencoded or multipart\/form-data/);
  });

  it("refuses a malformed multipart body with 400, not a 500", async () => {
    for (const type of ["multipart/form-data", "multipart/form-data; boundary=xyz"]) {
      const answer = await thrownResponse(readFormData(post("--abc\r\nbroken", type)));
      expect(answer.status, type).toBe(400);
      expect(answer.headers.get("Cache-Control")).toBe("no-store");
    }
  });
});

describe("resource routes (no UI)", () => {
  // Remix answers a resource route's returned `data(body, { status })` with 200 and no headers unless the
  // request is its own `.data` request: such routes return `Response`s (Response.json) instead.
  const routes = path.resolve(import.meta.dirname, "../routes");
  const resourceRoutes = fs
    .readdirSync(routes)
    .filter((name) => /\.tsx?$/.test(name))
    .map((name) => ({ name, source: fs.readFileSync(path.join(routes, name), "utf8") }))
    .filter(({ source }) => !/export default/.test(source));

  it("exist (the check below reads them)", () => {
    expect(resourceRoutes.map((r) => r.name)).toContain("customers.$customerId_.portal.ts");
  });

  it("with an action never return Remix data(): its status would be lost when posted directly", () => {
    const offenders = resourceRoutes
      .filter(({ source }) => /export\s+async\s+function\s+action\b/.test(source))
      .filter(({ source }) => /return\s+data\s*[(<]/.test(source))
      .map(({ name }) => name);
    expect(offenders).toEqual([]);
  });
});
