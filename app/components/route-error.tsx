// The error page routes render: a Commet problem's own message, or per-status copy for other errors.

import { Link, isRouteErrorResponse, useLocation, useRouteError } from "@remix-run/react";
import { parseProblem } from "~/contracts/problem";

/** Per-status copy for errors that carry no Commet problem. */
const copy: Record<number, { title: string; body: string }> = {
  400: {
    title: "Bad request",
    body: "The request could not be understood. Check the address or the form and try again.",
  },
  401: { title: "Sign in required", body: "You need to sign in to see this page." },
  403: { title: "Not allowed", body: "Your role does not allow this page or action." },
  404: {
    title: "Page not found",
    body: "There is no page at this address. It may have moved, or the link may be wrong.",
  },
  429: { title: "Too many requests", body: "Slow down a little and try again in a moment." },
  500: {
    title: "Something went wrong",
    body: "The console hit an unexpected error. The details are in the server log.",
  },
  502: { title: "Commet did not answer properly", body: "The console could not get a usable answer from Commet." },
  503: { title: "Temporarily unavailable", body: "A service the console needs is unavailable. Try again in a moment." },
};

function copyFor(status: number) {
  return copy[status] ?? (status >= 500 ? copy[500]! : copy[400]!);
}

/** The error boundary every route exports: plain words, what to check, no stack traces. */
export function RouteErrorBoundary() {
  const error = useRouteError();
  const location = useLocation();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const problem = isRouteErrorResponse(error) ? parseProblem(error.data) : null;
  const { title, body } = problem ? { title: problem.title, body: problem.message } : copyFor(status);
  // A wrong key or URL needs a restart, not a retry; outages and unexpected errors may pass.
  const retryable = problem ? problem.retryable : status >= 500;

  return (
    <section className="error-panel" role="alert" aria-labelledby="error-title" data-status={status}>
      <p className="error-panel__status">Error {status}</p>
      <h1 id="error-title">{title}</h1>
      <p className="error-panel__body" data-testid="error-message">
        {body}
      </p>
      {problem?.variable ? (
        <p className="error-panel__hint">
          Check <code>{problem.variable}</code> in the console&rsquo;s environment (see <code>.env.example</code>), then
          restart the console.
        </p>
      ) : null}
      {retryable || location.pathname !== "/" ? (
        <p className="error-panel__actions">
          {retryable ? (
            <a className="button" href={`${location.pathname}${location.search}`}>
              Try again
            </a>
          ) : null}
          {location.pathname === "/" ? null : (
            <Link className={retryable ? "button button--quiet" : "button"} to="/">
              Go to the overview
            </Link>
          )}
        </p>
      ) : null}
    </section>
  );
}
