import { describe, expect, it } from "vitest";
import { RenderPasses } from "./http-render-stream.ts";

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
});
