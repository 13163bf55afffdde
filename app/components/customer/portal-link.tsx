// Issues a one-time billing-portal link for a customer and drafts the message staff send with it.

import { useFetcher } from "@remix-run/react";
import { useEffect, useId, useRef, useState } from "react";
import type { Problem } from "~/contracts/problem";

export type PortalActionData =
  { ok: true; portalUrl: string; issuedAt: string; note: string } | { ok: false; problem: Problem };

export function portalMessage(portalUrl: string): string {
  return [
    "Hi,",
    "",
    "Here is a secure link to your billing portal, where you can see your plan and usage, update your payment method and download invoices:",
    portalUrl,
    "",
    "The link works once and expires after 2 hours of inactivity. If it has expired, reply to this message and we will send a new one.",
  ].join("\n");
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(t);
  }, [copied]);
  return (
    <button
      type="button"
      className="button button--small"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setCopied(true);
        } catch {
          setCopied(false);
        }
      }}
    >
      {copied ? "Copied" : label}
    </button>
  );
}

/**
 * "Issue portal link" (permission portal:issue): posts to /customers/:id/portal through a fetcher;
 * the URL lives only in this component's fetcher data — shown once, never in the loader data.
 */
export function PortalLinkCard({ customerRef }: { customerRef: string }) {
  const fetcher = useFetcher<PortalActionData>();
  const headingId = useId();
  const urlId = useId();
  const messageId = useId();
  const [dismissedAt, setDismissedAt] = useState<string | null>(null);
  const resultRef = useRef<HTMLDivElement>(null);
  const busy = fetcher.state !== "idle";
  const result = fetcher.data;
  const shown = result && result.ok && result.issuedAt !== dismissedAt ? result : null;

  useEffect(() => {
    if (shown) resultRef.current?.focus();
  }, [shown]);

  return (
    <section className="card panel portal-card" aria-labelledby={headingId} data-panel="portal">
      <div className="panel__header">
        <h2 id={headingId} className="panel__title">
          Customer portal
        </h2>
        <fetcher.Form method="post" action={`/customers/${encodeURIComponent(customerRef)}/portal`}>
          <button type="submit" className="button button--small" disabled={busy}>
            {busy ? "Issuing…" : shown ? "Issue another link" : "Issue portal link"}
          </button>
        </fetcher.Form>
      </div>
      {shown ? (
        <div className="portal-result" ref={resultRef} tabIndex={-1} data-testid="portal-result">
          <p className="notice" role="status">
            Portal link issued. It is shown only here, once: copy it or send the message now.
          </p>
          <label htmlFor={urlId} className="field-label">
            Portal link
          </label>
          <div className="portal-result__row">
            <input
              id={urlId}
              className="portal-result__url"
              readOnly
              value={shown.portalUrl}
              onFocus={(e) => e.currentTarget.select()}
            />
            <CopyButton text={shown.portalUrl} label="Copy link" />
            <a
              className="button button--small button--quiet"
              href={shown.portalUrl}
              target="_blank"
              rel="noopener noreferrer"
            >
              Open
            </a>
          </div>
          <label htmlFor={messageId} className="field-label">
            Message to send
          </label>
          <textarea
            id={messageId}
            className="portal-result__message"
            readOnly
            rows={6}
            value={portalMessage(shown.portalUrl)}
          />
          <div className="portal-result__row">
            <CopyButton text={portalMessage(shown.portalUrl)} label="Copy message" />
            <button
              type="button"
              className="button button--small button--quiet"
              onClick={() => setDismissedAt(shown.issuedAt)}
            >
              Done — hide the link
            </button>
          </div>
          <p className="field-hint">{shown.note}</p>
        </div>
      ) : result && !result.ok ? (
        <div className="panel-error" role="alert">
          <p className="panel-error__title">{result.problem.title}</p>
          <p className="panel-error__body">{result.problem.message}</p>
        </div>
      ) : (
        <p className="muted">
          A single-use link to the customer&rsquo;s self-service billing portal. It expires after 2 hours of inactivity;
          issuing one is recorded in the audit trail.
        </p>
      )}
    </section>
  );
}
