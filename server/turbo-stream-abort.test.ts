// Remix's client decodes every `.data` answer with turbo-stream. When the router aborts a request whose answer
// has started (a navigation or a fetcher load interrupted by the next one), the rest of the body fails with an
// AbortError; turbo-stream 2.4.1 left that rejection unhandled, and browsers report it as an uncaught error
// (patches/turbo-stream+2.4.1.patch).
import { decode, encode } from "turbo-stream";
import { describe, expect, it } from "vitest";

describe("turbo-stream decode of an answer aborted mid-stream", () => {
  it("rejects the pending part that is read, and leaves no rejection unhandled", async () => {
    let late!: (value: string) => void;
    const pending = new Promise<string>((resolve) => (late = resolve));
    // `later` is read by the page; `unread` belongs to a page nobody renders now, and Remix never reads `done`.
    const source = encode({ now: 1, later: pending, unread: pending.then((v) => v) });
    const controller = new AbortController();
    const reader = source.getReader();
    // The body as fetch gives it: chunks until the request is aborted, then an AbortError.
    const body = new ReadableStream<Uint8Array>({
      async pull(stream) {
        const read = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) =>
            controller.signal.addEventListener("abort", () => reject(controller.signal.reason)),
          ),
        ]).catch((error: unknown) => {
          stream.error(error);
          return null;
        });
        if (!read) return;
        if (read.done) stream.close();
        else stream.enqueue(read.value);
      },
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const decoded = await decode(body);
      const value = decoded.value as { now: number; later: Promise<string>; unread: Promise<string> };
      expect(value.now).toBe(1);
      controller.abort();
      await expect(value.later).rejects.toMatchObject({ name: "AbortError" });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
      // Whoever does read them still sees the failure.
      await expect(value.unread).rejects.toMatchObject({ name: "AbortError" });
      await expect(decoded.done).rejects.toMatchObject({ name: "AbortError" });
    } finally {
      process.off("unhandledRejection", onUnhandled);
      late("never read");
    }
  });
});
