/**
 * HTTP hardening in front of Remix: requests for a Host the console does not serve are refused (DNS
 * rebinding), cross-site form posts are refused against the configured origins, and every answer carries
 * security headers — a nonce-based CSP, no framing, nosniff, a strict referrer policy, no caching of pages.
 */
import { randomBytes } from "node:crypto";
import type express from "express";
import helmet from "helmet";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** 421 for any Host header that is not one of the console's origins' hosts. */
export function refuseUnknownHost(origins: readonly string[]): express.RequestHandler {
  const hosts = new Set(origins.map((origin) => new URL(origin).host));
  return (req, res, next) => {
    if (req.headers.host && hosts.has(req.headers.host.toLowerCase())) return next();
    res.status(421).type("text/plain").send("This console does not answer for that host name.\n");
  };
}

/**
 * A state-changing request whose Origin is not one of the console's is refused with 403 here, before Remix
 * (which would abort such document POSTs with a 500). Every action checks again (server/auth), and also
 * refuses requests with neither Origin nor Referer.
 */
export function refuseCrossSiteForms(origins: readonly string[]): express.RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (SAFE_METHODS.has(req.method) || !origin || allowed.has(origin)) return next();
    res.status(403).type("text/plain").send("Cross-site request refused");
  };
}

/** A fresh nonce per request (res.locals.cspNonce), for Remix's inline scripts. */
export function cspNonce(): express.RequestHandler {
  return (_req, res, next) => {
    res.locals.cspNonce = randomBytes(16).toString("base64");
    next();
  };
}

/** The console's CSP; `script-src` names the request's nonce. */
const cspDirectives = (nonce: string) => ({
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'", `'nonce-${nonce}'`],
  // React and Recharts set style attributes; no inline <style> or stylesheet comes from elsewhere.
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", "data:"],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
});

/**
 * The CSP header as helmet writes it, built once around a placeholder: helmet re-validates and re-joins every
 * directive on every answer when one of them is a function, which cost more than the rest of a search answer's
 * headers (docs/decisions/0025-where-the-cpu-goes.md). Per request only the nonce is put in.
 */
function nonceCsp(): express.RequestHandler {
  const slot = "NONCE-SLOT";
  let name = "Content-Security-Policy";
  let value = "";
  const capture = {
    setHeader: (header: string, headerValue: string) => ((name = header), (value = headerValue)),
  };
  helmet.contentSecurityPolicy({ useDefaults: false, directives: cspDirectives(slot) })(
    {} as express.Request,
    capture as unknown as express.Response,
    () => {},
  );
  if (!value.includes(slot)) throw new Error("helmet wrote no Content-Security-Policy to build on");
  const [before, after] = value.split(slot) as [string, string];
  return (_req, res, next) => {
    res.setHeader(name, `${before}${String(res.locals.cspNonce)}${after}`);
    next();
  };
}

/**
 * Helmet's headers with the console's nonce CSP. Development keeps the CSP off: Vite injects inline scripts and a
 * websocket for hot reload.
 */
export function securityHeaders(mode: "production" | "development"): express.RequestHandler[] {
  const headers = helmet({
    contentSecurityPolicy: false,
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "same-origin" },
    strictTransportSecurity: false, // the console may be served over plain HTTP on loopback; a TLS proxy sets it
    crossOriginEmbedderPolicy: false,
  });
  return mode === "development" ? [headers] : [nonceCsp(), headers];
}

/** Pages and data show customer data: nothing may be cached (static assets set their own caching first). */
export function noStore(): express.RequestHandler {
  return (_req, res, next) => {
    // Decided when the head is written: a response that set its own Cache-Control keeps it (Remix appends).
    const writeHead = res.writeHead;
    res.writeHead = function (this: express.Response, ...args: unknown[]) {
      if (!this.hasHeader("Cache-Control")) this.setHeader("Cache-Control", "no-store");
      return (writeHead as (...a: unknown[]) => express.Response).apply(this, args);
    } as typeof res.writeHead;
    next();
  };
}
