import { Transform } from "node:stream";
import { createElement, Suspense } from "react";
import { renderToPipeableStream } from "react-dom/server";
import { describe, expect, it, vi } from "vitest";
import { holdUntilReady, RenderPasses } from "./http-render-stream.ts";

describe("RenderPasses", () => {
  it("hands React's pieces on as one chunk per flush, and what is left at the end", async () => {
    const stream = new RenderPasses();
    const out: string[] = [];
    stream.on("data", (chunk: Buffer) => out.push(chunk.toString("utf8")));
    const ended = new Promise((resolve) => stream.on("end", resolve));

    stream.write(Buffer.from("<html>"));
    stream.write(Buffer.from("<body>"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(out).toEqual([]); // nothing before React says its pass is done
    stream.flush();
    stream.flush(); // a pass that wrote nothing sends nothing
    stream.write(Buffer.from("<p>panel</p>"));
    stream.flush();
    stream.write(Buffer.from("</body></html>"));
    stream.end();
    await ended;

    expect(out).toEqual(["<html><body>", "<p>panel</p>", "</body></html>"]);
  });

  it("ends once: React's second end() (its close handler) does not reach the stream", async () => {
    const end = vi.spyOn(Transform.prototype, "end");
    try {
      const stream = new RenderPasses();
      stream.resume();
      const finished = new Promise((resolve) => stream.on("finish", resolve));
      stream.end();
      await finished;
      expect(stream.end()).toBe(stream);
      expect(end).toHaveBeenCalledTimes(1);
    } finally {
      end.mockRestore();
    }
  });
});

/** A page with one panel that suspends until `ms` have passed, rendered through holdUntilReady like entry.server. */
function renderPage(panelMs: number, holdMs: number): Promise<{ chunks: string[]; html: string }> {
  let ready = false;
  const arrival = new Promise<void>((resolve) =>
    setTimeout(() => {
      ready = true;
      resolve();
    }, panelMs),
  );
  function Panel() {
    if (!ready) throw arrival; // React 18's way to suspend on data
    return createElement("p", null, "panel data");
  }
  const page = createElement(
    "main",
    null,
    createElement("h1", null, "Customer"),
    createElement(Suspense, { fallback: createElement("p", null, "loading…") }, createElement(Panel)),
  );
  return new Promise((resolve, reject) => {
    const chunks: string[] = [];
    const hold = holdUntilReady(holdMs, () => {
      const body = new RenderPasses();
      body.on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")));
      body.on("end", () => resolve({ chunks, html: chunks.join("") }));
      pipe(body);
    });
    const { pipe } = renderToPipeableStream(page, {
      onShellReady: () => hold.shellReady(),
      onAllReady: () => hold.allReady(),
      onShellError: reject,
    });
  });
}

describe("holdUntilReady", () => {
  it("sends a page whose panels arrive before the deadline whole: one chunk, no fallback, no swap script", async () => {
    const { chunks, html } = await renderPage(10, 500);
    expect(chunks).toHaveLength(1);
    expect(html).toContain("<p>panel data</p>");
    expect(html).not.toContain("loading…");
    expect(html).not.toContain("$RC"); // React's script that swaps a streamed boundary in
  });

  it("streams a slower page from the deadline: the shell with the fallback first, the panel when it arrives", async () => {
    const started = performance.now();
    const { chunks, html } = await renderPage(300, 30);
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    expect(chunks[0]).toContain("<h1>Customer</h1>");
    expect(chunks[0]).toContain("loading…");
    expect(chunks[0]).not.toContain("panel data");
    expect(html).toContain("panel data");
    expect(html).toContain("$RC");
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("starts once, whichever comes first", () => {
    vi.useFakeTimers();
    try {
      let starts = 0;
      const hold = holdUntilReady(100, () => starts++);
      hold.shellReady();
      hold.shellReady();
      vi.advanceTimersByTime(100);
      hold.allReady();
      expect(starts).toBe(1);

      const early = holdUntilReady(100, () => starts++);
      early.shellReady();
      early.allReady();
      vi.advanceTimersByTime(500);
      expect(starts).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
