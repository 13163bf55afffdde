/**
 * GET /search?q= — the command palette's customer lookup, answered by Express ahead of Remix: a ≈ 0.5 ms query
 * cost several times that in Remix's request machinery (docs/decisions/0030-search-ahead-of-remix.md). Same
 * contract as the route it replaces: signed out → 302 to /login, a role without customers:read → 403, the query
 * parsed by app/contracts/search.ts, the hits as JSON, never cached.
 */
import type express from "express";
import { can, type Permission } from "../../app/contracts/permissions.ts";
import { parseSearchQuery, type SearchQuery, type SearchResult } from "../../app/contracts/search.ts";
import { forbiddenMessage, loginLocation, staffForCookie, type CurrentStaff } from "../auth/index.ts";
import { logger } from "../observability/index.ts";
import { searchDirectory } from "./pages.ts";

export const SEARCH_PATH = "/search";
// Only the path and query matter to the redirect; the origin is dropped.
const BASE = "http://console.invalid";

export interface SearchEndpointOptions {
  staff?: (cookieHeader: string | undefined) => Promise<CurrentStaff | null>;
  login?: (method: string, url: string) => Promise<string>;
  search?: (query: SearchQuery) => Promise<SearchResult>;
  /** customers:read; tests name another to see the refusal, since every role can read customers today. */
  permission?: Permission;
}

/** The handler for GET (and HEAD, OPTIONS, as the Remix route answered them) of SEARCH_PATH. */
export function searchEndpoint(options: SearchEndpointOptions = {}): express.RequestHandler {
  const staff = options.staff ?? staffForCookie;
  const login = options.login ?? loginLocation;
  const search = options.search ?? searchDirectory;
  const permission = options.permission ?? "customers:read";
  return (req, res) => {
    void answer(req, res).catch((error: unknown) => {
      logger("search").error({ err: error, method: req.method, path: req.path }, "request failed");
      if (res.headersSent) return void res.destroy();
      res.status(500).type("text/plain").send("Unexpected Server Error");
    });
  };

  async function answer(req: express.Request, res: express.Response): Promise<void> {
    const current = await staff(req.headers.cookie);
    // Like every answer but static files: nothing here may be cached.
    res.setHeader("Cache-Control", "no-store");
    if (!current) {
      res.setHeader("Location", await login(req.method, `${BASE}${req.originalUrl}`));
      return void res.status(302).end();
    }
    if (!can(current.role, permission)) {
      res.statusCode = 403;
      res.statusMessage = "Forbidden";
      res.setHeader("Content-Type", "text/plain;charset=UTF-8");
      return void res.end(forbiddenMessage(current.role));
    }
    const queryAt = req.originalUrl.indexOf("?");
    const params = new URLSearchParams(queryAt < 0 ? "" : req.originalUrl.slice(queryAt + 1));
    const body = Buffer.from(JSON.stringify(await search(parseSearchQuery(params))));
    // Written directly: res.json would also hash the body for an ETag nobody may use (private, no-store).
    res.statusCode = 200;
    res.setHeader("Cache-Control", "private, no-store");
    res.setHeader("Content-Type", "application/json; charset=utf-8");
    res.setHeader("Content-Length", body.length);
    res.end(body);
  }
}
