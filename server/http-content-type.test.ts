import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formContentType, refuseNonFormBodies } from "./http-content-type.ts";

let server: http.Server;
let port = 0;

function send(method: string, path: string, contentType?: string, body?: string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (contentType) headers["content-type"] = contentType;
    const req = http.request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

beforeAll(async () => {
  const app = express();
  app.use(refuseNonFormBodies({ exempt: ["/webhooks/commet"] }));
  app.all("*", (_req, res) => {
    res.type("text/plain").send("reached the action");
  });
  server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("refuseNonFormBodies", () => {
  it.each([
    ["application/x-www-form-urlencoded", "a=1"],
    ["application/x-www-form-urlencoded;charset=UTF-8", "a=1"],
    ["Multipart/Form-Data; boundary=----x", "------x--\r\n"],
  ])("lets a form (%s) through to the action", async (type, body) => {
    expect(await send("POST", "/customers/cus_1/usage", type, body)).toMatchObject({
      status: 200,
      body: "reached the action",
    });
  });

  it.each([
    ["JSON", "application/json", '{"intent":"record"}'],
    ["text", "text/plain", "intent=record"],
    ["no content type", undefined, "intent=record"],
    ["no content type and no body", undefined, undefined],
    ["a look-alike", "application/x-www-form-urlencoded-evil", "a=1"],
  ])("refuses %s with 415 and says what it takes", async (_name, type, body) => {
    const answer = await send("POST", "/customers/cus_1/usage", type, body);
    expect(answer.status).toBe(415);
    expect(answer.body).toMatch(/application\/x-www-form-urlencoded or multipart\/form-data/);
    expect(answer.headers["accept-post"]).toBe("application/x-www-form-urlencoded, multipart/form-data");
    expect(answer.headers["cache-control"]).toBe("no-store");
  });

  it("refuses every method Remix sends to an action, not only POST", async () => {
    for (const method of ["PUT", "PATCH", "DELETE"]) {
      expect((await send(method, "/audit", "application/json", "{}")).status, method).toBe(415);
    }
  });

  it("answers 400 for a multipart body without a boundary", async () => {
    const answer = await send("POST", "/login", "multipart/form-data", "x");
    expect(answer.status).toBe(400);
    expect(answer.body).toMatch(/Malformed/);
  });

  it("leaves reads and the webhook (JSON, signed) alone", async () => {
    expect((await send("GET", "/customers")).status).toBe(200);
    expect((await send("HEAD", "/customers")).status).toBe(200);
    expect((await send("POST", "/webhooks/commet", "application/json", "{}")).status).toBe(200);
    expect((await send("POST", "/webhooks/commet/", "application/json", "{}")).status).toBe(200);
    expect((await send("POST", "/webhooks/commet-not", "application/json", "{}")).status).toBe(415);
  });
});

describe("formContentType", () => {
  it("tells forms, malformed multipart and everything else apart", () => {
    expect(formContentType("application/x-www-form-urlencoded")).toBe("form");
    expect(formContentType(" APPLICATION/X-WWW-FORM-URLENCODED ; charset=utf-8")).toBe("form");
    expect(formContentType("multipart/form-data; boundary=abc")).toBe("form");
    expect(formContentType('multipart/form-data; charset=utf-8; BOUNDARY="a b"')).toBe("form");
    expect(formContentType("multipart/form-data")).toBe("malformed");
    expect(formContentType("multipart/form-data; boundary=")).toBe("malformed");
    expect(formContentType("multipart/mixed; boundary=abc")).toBe("unsupported");
    expect(formContentType("application/json")).toBe("unsupported");
    expect(formContentType("")).toBe("unsupported");
    expect(formContentType(undefined)).toBe("unsupported");
  });
});
