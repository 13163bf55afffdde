/**
 * The document's byte stream between React and the response. React writes its HTML in 2 KB pieces and calls
 * `flush()` once it has written all it has for now (the shell, later each streamed panel); Remix flushes the
 * response — and so the compressor, which then closes a block — after every piece it is given. Handing React's
 * pieces on only at React's own flush makes one compressed block per render pass instead of one per 2 KB:
 * the same streaming, a third of the compression CPU (docs/decisions/0029-lean-pages.md).
 */
import { Transform, type TransformCallback } from "node:stream";

export class RenderPasses extends Transform {
  #pending: Buffer[] = [];

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#pending.push(chunk);
    callback();
  }

  /** Called by React after each render pass: what it wrote since the last pass goes out as one chunk. */
  flush(): void {
    if (this.#pending.length === 0) return;
    const pending = this.#pending;
    this.#pending = [];
    this.push(pending.length === 1 ? pending[0] : Buffer.concat(pending));
  }

  override _flush(callback: TransformCallback): void {
    this.flush();
    callback();
  }

  /**
   * Ends once. React ends its destination when it finishes and again when the destination closes (its abort
   * handler, a no-op for a finished render): the second `end()` would build an ERR_STREAM_ALREADY_FINISHED
   * error, stack trace and all, for every document.
   */
  override end(cb?: () => void): this;
  override end(chunk: unknown, cb?: () => void): this;
  override end(chunk: unknown, encoding: BufferEncoding, cb?: () => void): this;
  override end(...args: unknown[]): this {
    if (args.length === 0 && this.writableEnded) return this;
    return (super.end as (...endArgs: unknown[]) => this)(...args);
  }
}

/**
 * When to start sending a streamed render: a page whose every part is ready within `holdMs` of its shell goes
 * out whole — one chunk, one compressed block, no fallbacks swapped in by script — and a slower one streams
 * from the deadline (its shell and whatever is ready), the rest as it arrives. Measured on the customer page:
 * ~25 % less CPU than streaming every panel as it resolved (docs/decisions/0032-whole-when-ready.md).
 */
export function holdUntilReady(holdMs: number, start: () => void): { shellReady(): void; allReady(): void } {
  let started = false;
  let deadline: ReturnType<typeof setTimeout> | undefined;
  const go = () => {
    if (started) return;
    started = true;
    clearTimeout(deadline);
    start();
  };
  return {
    shellReady: () => {
      if (!started && deadline === undefined) deadline = setTimeout(go, holdMs);
    },
    allReady: go,
  };
}
