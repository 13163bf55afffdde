/**
 * The server side of every page: Remix's streaming render, plus the console's process entry.
 * `startConsole` is exported from here so that `server/main.ts` starts the console from this build's
 * own copy of `server/**` — one module graph per process (docs/decisions/0009-one-module-graph.md).
 */
import type { AppLoadContext, EntryContext, HandleErrorFunction } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { NonceContext } from "./lib/nonce";
import { logger } from "../server/observability/index.ts";
import { holdUntilReady, RenderPasses } from "../server/http-render-stream.ts";

export { startConsole } from "../server/console.ts";

/** Errors of loaders, actions and rendering, in the structured log (with the request id); not when the client left. */
export const handleError: HandleErrorFunction = (error, { request }) => {
  if (request.signal.aborted) return;
  logger("remix").error({ err: error, method: request.method, path: new URL(request.url).pathname }, "request failed");
};

/** How long deferred data may stream before Remix rejects what is still pending. */
export const streamTimeout = 5_000;

/**
 * A page whose panels all arrive within this long after its shell goes out whole; a slower one streams its
 * shell (and whatever is ready) at this deadline and the rest as it comes (server/http-render-stream.ts).
 */
const SHELL_HOLD_MS = 100;

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = loadContext.cspNonce;
  const wholeOnly = isbot(request.headers.get("user-agent") ?? "") || remixContext.isSpaMode;
  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const hold = holdUntilReady(SHELL_HOLD_MS, () => {
      // One chunk per render pass, not per 2 KB piece: one compressed block each (server/http-render-stream.ts).
      const body = new RenderPasses();
      responseHeaders.set("Content-Type", "text/html");
      resolve(
        new Response(createReadableStreamFromReadable(body), {
          headers: responseHeaders,
          status: responseStatusCode,
        }),
      );
      pipe(body);
    });
    const app = (
      <NonceContext.Provider value={nonce}>
        <RemixServer context={remixContext} url={request.url} nonce={nonce} />
      </NonceContext.Provider>
    );
    // Aborts what is still pending after Remix's stream timeout (the render's own abort, called when it fires).
    const abortTimer = setTimeout(() => abort(), streamTimeout + 1_000);
    const { pipe, abort } = renderToPipeableStream(app, {
      nonce,
      onShellReady() {
        shellRendered = true;
        // Crawlers and SPA mode get the whole document at once; browsers, the whole page when it is ready soon.
        if (!wholeOnly) hold.shellReady();
      },
      onAllReady() {
        // Nothing left to wait for: no abort timer holding this render's state for the rest of streamTimeout.
        clearTimeout(abortTimer);
        hold.allReady();
      },
      onShellError(error: unknown) {
        clearTimeout(abortTimer);
        reject(error);
      },
      onError(error: unknown) {
        responseStatusCode = 500;
        // Errors before the shell reject and are logged by Remix; later ones only here.
        if (shellRendered) logger("remix").error({ err: error }, "streaming render failed");
      },
    });
  });
}
