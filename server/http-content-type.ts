/**
 * The console's actions read HTML forms only: a state-changing request whose body is anything else (JSON,
 * text, none) is refused with 415 before Remix, which would fail reading it with a 500.
 */
import type express from "express";

// The methods Remix routes to an action; GET and HEAD go to loaders, anything else Remix answers 405.
const ACTION_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export const FORM_CONTENT_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data"] as const;

/** "form": a body actions can read; "malformed": multipart without its boundary; "unsupported": anything else. */
export function formContentType(header: string | null | undefined): "form" | "malformed" | "unsupported" {
  if (!header) return "unsupported";
  const [mediaType = "", ...params] = header.split(";").map((part) => part.trim());
  switch (mediaType.toLowerCase()) {
    case "application/x-www-form-urlencoded":
      return "form";
    case "multipart/form-data":
      return params.some((param) => /^boundary=\S/i.test(param)) ? "form" : "malformed";
    default:
      return "unsupported";
  }
}

export const UNSUPPORTED_BODY_MESSAGE = `Unsupported content type: the console's actions accept ${FORM_CONTENT_TYPES.join(" or ")} only.\n`;
export const MALFORMED_BODY_MESSAGE = "Malformed form body.\n";

/**
 * 415 (400 for a multipart body without boundary) for a request to an action whose body is not a form.
 * `exempt`: paths that take other bodies by design (Commet's webhooks, answered ahead of this).
 */
export function refuseNonFormBodies(options: { exempt: readonly string[] }): express.RequestHandler {
  const exempt = new Set(options.exempt.map(withoutTrailingSlash));
  return (req, res, next) => {
    if (!ACTION_METHODS.has(req.method) || exempt.has(withoutTrailingSlash(req.path))) return next();
    const body = formContentType(req.headers["content-type"]);
    if (body === "form") return next();
    res.setHeader("Cache-Control", "no-store");
    if (body === "malformed") return void res.status(400).type("text/plain").send(MALFORMED_BODY_MESSAGE);
    res.setHeader("Accept-Post", FORM_CONTENT_TYPES.join(", "));
    res.status(415).type("text/plain").send(UNSUPPORTED_BODY_MESSAGE);
  };
}

function withoutTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}
