/**
 * Remix hands a streamed answer to the response one chunk at a time and flushes after each: a `.data` answer whose
 * ~15 panel promises settle together still went out as ~15 compressed blocks, each a thread-pool job and a write of
 * its own. This middleware, placed after `compression`, gathers what is written within one turn of the event loop
 * and hands it on as one chunk (and one flush) at the end of that turn: the same bytes, the same order, at most a
 * turn later (docs/decisions/0032-whole-when-ready.md).
 */
import type { RequestHandler, Response } from "express";

/** Past this many bytes gathered, the chunk goes on at once (a big export keeps its back-pressure). */
export const COALESCE_MAX_BYTES = 64 * 1024;

type WriteCallback = (error?: Error | null) => void;

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
}

export function coalesceWrites(maxBytes = COALESCE_MAX_BYTES): RequestHandler {
  return (_req, res, next) => {
    gather(res, maxBytes);
    next();
  };
}

function gather(res: Response, maxBytes: number): void {
  const write = res.write.bind(res) as (chunk: Buffer, callback?: WriteCallback) => boolean;
  const end = res.end.bind(res) as (chunk?: Buffer, callback?: () => void) => Response;
  let pending: Buffer[] = [];
  let bytes = 0;
  let scheduled = false;
  let flushWanted = false;
  // compression's flush (closes a compressed block); absent when nothing compresses.
  const originalFlush = (res as Response & { flush?: () => void }).flush;

  const takePending = (): Buffer => {
    const chunk = pending.length === 1 ? pending[0]! : Buffer.concat(pending, bytes);
    pending = [];
    bytes = 0;
    return chunk;
  };
  const writePending = (callback?: WriteCallback): boolean =>
    pending.length === 0 ? true : write(takePending(), callback);
  const endOfTurn = () => {
    scheduled = false;
    if (res.writableEnded || res.destroyed) return;
    writePending();
    if (flushWanted) {
      flushWanted = false;
      originalFlush?.call(res);
    }
  };

  res.write = ((chunk: unknown, encodingOrCallback?: unknown, maybeCallback?: unknown): boolean => {
    const callback = (typeof encodingOrCallback === "function" ? encodingOrCallback : maybeCallback) as
      WriteCallback | undefined;
    const buffer = toBuffer(chunk, encodingOrCallback);
    if (res.writableEnded || res.destroyed) return write(buffer, callback);
    pending.push(buffer);
    bytes += buffer.length;
    // A caller that waits for its callback, or a big chunk: on at once.
    if (callback || bytes >= maxBytes) return writePending(callback);
    if (!scheduled) {
      scheduled = true;
      setImmediate(endOfTurn);
    }
    return true;
  }) as Response["write"];

  if (typeof originalFlush === "function") {
    (res as Response & { flush?: () => void }).flush = () => {
      if (pending.length > 0) flushWanted = true;
      else originalFlush.call(res);
    };
  }

  res.end = ((chunk?: unknown, encodingOrCallback?: unknown, maybeCallback?: unknown): Response => {
    // end(callback), end(chunk, callback) and end(chunk, encoding, callback) all keep their callback.
    const callback = [chunk, encodingOrCallback, maybeCallback].find((a) => typeof a === "function") as
      (() => void) | undefined;
    if (chunk !== undefined && chunk !== null && typeof chunk !== "function") {
      const buffer = toBuffer(chunk, encodingOrCallback);
      pending.push(buffer);
      bytes += buffer.length;
    }
    flushWanted = false;
    return end(pending.length === 0 ? undefined : takePending(), callback);
  }) as Response["end"];
}
