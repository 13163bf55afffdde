// Remix's document hands the loader data to the browser as script tags, one per chunk of the turbo-stream, each chunk
// behind its own Suspense boundary: one React ping, one setImmediate and one render pass per chunk. The customer
// page's ~15 panels settle together, so under load its last bytes waited ~15 event-loop turns.
// patches/@remix-run+react+2.17.5.patch makes StreamTransfer write every chunk already queued in one script tag.
import { createRequire } from "node:module";
import { Writable } from "node:stream";
import { createElement, Suspense } from "react";
import { renderToPipeableStream } from "react-dom/server";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const { StreamTransfer } = require("@remix-run/react/dist/single-fetch.js") as {
  StreamTransfer: (props: object) => unknown;
};

/** The document's tail as StreamTransfer renders it for `stream`: the text of each enqueue, and whether it closed. */
async function transfer(stream: ReadableStream<Uint8Array>): Promise<{ enqueued: string[]; closed: boolean }> {
  const context = { renderMeta: { didRenderScripts: true } };
  const element = createElement(
    Suspense,
    null,
    createElement(StreamTransfer as never, {
      context,
      identifier: 0,
      reader: stream.getReader(),
      textDecoder: new TextDecoder(),
      nonce: "n",
    }),
  );
  let html = "";
  await new Promise<void>((resolve, reject) => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        html += chunk.toString("utf8");
        done();
      },
      final(done) {
        done();
        resolve();
      },
    });
    const { pipe } = renderToPipeableStream(element, { onAllReady: () => pipe(sink), onShellError: reject });
  });
  const enqueued = [...html.matchAll(/streamController\.enqueue\((".*?")\);/g)].map((m) => JSON.parse(m[1]!) as string);
  return { enqueued, closed: html.includes("streamController.close()") };
}

describe("Remix's StreamTransfer (patched: every chunk already queued in one script tag)", () => {
  it("writes queued chunks together and later ones as they come, in order, then closes", async () => {
    const encoder = new TextEncoder();
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    for (const line of ["[1]\n", "P1:[2]\n", "P2:[3]\n"]) controller.enqueue(encoder.encode(line));
    setTimeout(() => {
      // Two values settling together later (one event-loop turn): one more tag, not two.
      controller.enqueue(encoder.encode("P3:[4]\n"));
      controller.enqueue(encoder.encode("P4:[5]\n"));
      setTimeout(() => controller.close(), 10);
    }, 10);
    const { enqueued, closed } = await transfer(stream);
    expect(enqueued).toEqual(["[1]\nP1:[2]\nP2:[3]\n", "P3:[4]\nP4:[5]\n"]);
    expect(closed).toBe(true);
  });

  it("decodes a character split across chunks, and closes an empty stream", async () => {
    const bytes = new TextEncoder().encode('["é"]\n');
    const split = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, 3));
        c.enqueue(bytes.slice(3));
        c.close();
      },
    });
    expect(await transfer(split)).toEqual({ enqueued: ['["é"]\n'], closed: true });
    const empty = new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    expect(await transfer(empty)).toEqual({ enqueued: [], closed: true });
  });
});
