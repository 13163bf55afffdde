import type http from "node:http";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";
import compression from "compression";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coalesceWrites } from "./http-coalesce.ts";

/** Counts the writes that reach the socket, as Remix's Node adapter writes: a chunk, then flush(), for each. */
let server: http.Server;
let base = "";
const socketWrites: number[] = [];
const endCallbacks: string[] = [];

beforeAll(async () => {
  const app = express();
  app.use((req, res, next) => {
    // Below compression: what the compressor hands to the socket.
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    res.write = ((...args: unknown[]) => {
      socketWrites.push(1);
      return write(...args);
    }) as typeof res.write;
    next();
  });
  app.use(compression({ threshold: 0 }));
  app.use(coalesceWrites(1024));
  const flush = (res: express.Response) => (res as express.Response & { flush?: () => void }).flush?.();
  app.get("/together", (_req, res) => {
    res.type("text/plain");
    // Fifteen pieces settled in the same turn (microtasks apart), as panel promises released together are.
    void (async () => {
      for (let i = 0; i < 15; i++) {
        await Promise.resolve();
        res.write(`piece ${i};`);
        flush(res);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      res.write("later;");
      flush(res);
      res.end("end");
    })();
  });
  app.get("/big", (_req, res) => {
    res.type("text/plain");
    const results: boolean[] = [];
    for (let i = 0; i < 4; i++) results.push(res.write("x".repeat(700)));
    res.end(JSON.stringify(results).replace(/[^a-z,]/g, ""));
  });
  app.get("/callback", (_req, res) => {
    res.type("text/plain");
    res.write("first;", () => {
      res.end("called back");
    });
  });
  app.get("/end-callback", (_req, res) => {
    res.type("text/plain");
    res.write("gathered;");
    // end(callback) with a chunk still gathered: the callback still runs once the answer is finished.
    res.end(() => endCallbacks.push("/end-callback"));
  });
  server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function get(path: string, encoding: string): Promise<{ text: string; writes: number }> {
  socketWrites.length = 0;
  const response = await fetch(base + path, { headers: { "accept-encoding": encoding } });
  const raw = Buffer.from(await response.arrayBuffer());
  // fetch decodes gzip itself; brotli is decoded here when fetch left it.
  const text =
    response.headers.get("content-encoding") === "br" ? zlib.brotliDecompressSync(raw).toString() : raw.toString();
  return { text, writes: socketWrites.length };
}

describe("coalesceWrites", () => {
  it("sends what is written in one turn as one chunk, the same bytes in the same order", async () => {
    for (const encoding of ["identity", "gzip"]) {
      const { text, writes } = await get("/together", encoding);
      expect(text).toBe(`${Array.from({ length: 15 }, (_, i) => `piece ${i};`).join("")}later;end`);
      // One chunk for the fifteen pieces, one for "later;", and the end: not seventeen.
      expect(writes).toBeLessThanOrEqual(4);
    }
  });

  it("passes a big chunk on at once (back-pressure kept) and a write with a callback too", async () => {
    const big = await get("/big", "identity");
    expect(big.text).toBe("x".repeat(2800) + "true,true,true,true");
    expect(big.writes).toBeGreaterThanOrEqual(2);
    const called = await get("/callback", "identity");
    expect(called.text).toBe("first;called back");
  });

  it("keeps end's callback when the last chunk is still gathered", async () => {
    const ended = await get("/end-callback", "identity");
    expect(ended.text).toBe("gathered;");
    await new Promise((resolve) => setImmediate(resolve));
    expect(endCallbacks).toEqual(["/end-callback"]);
  });
});
