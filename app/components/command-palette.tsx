// The search palette (keyboard shortcut): looks customers up by ID, external ID, invoice, email or name.

import { useNavigate } from "@remix-run/react";
import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import { customerHref } from "~/contracts/customer-ref";
import type { SearchResult, SearchHit } from "~/contracts/search";
import { StatusBadge } from "./status-badge";

const matchLabels: Record<SearchHit["matchedOn"], string> = {
  id: "Commet ID",
  externalId: "External ID",
  invoice: "Invoice",
  email: "Email",
  name: "Name",
};

/** True when the key press happened while the person is typing somewhere. */
function typingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

type State = { status: "idle" | "loading" | "done" | "error"; answer: SearchResult | null };

/**
 * The one search box: a header button plus a modal dialog with a combobox over the directory's
 * hits. Opens with ⌘K / Ctrl-K anywhere, or "/" when not typing in a field. ↑/↓ move, Enter opens
 * the highlighted hit — or, with nothing highlighted, the single exact hit.
 */
export function CommandPalette() {
  const navigate = useNavigate();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const listId = useId();
  const labelId = useId();
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(-1);
  const [state, setState] = useState<State>({ status: "idle", answer: null });

  const show = useCallback(() => {
    const dialog = dialogRef.current;
    if (!dialog || dialog.open) return;
    dialog.showModal();
    setOpen(true);
    requestAnimationFrame(() => inputRef.current?.select());
  }, []);

  const close = useCallback(() => {
    dialogRef.current?.close();
  }, []);

  // Global shortcuts.
  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if ((event.metaKey || event.ctrlKey) && !event.altKey && event.key.toLowerCase() === "k") {
        event.preventDefault();
        if (dialogRef.current?.open) close();
        else show();
        return;
      }
      if (event.key === "/" && !event.metaKey && !event.ctrlKey && !event.altKey && !typingTarget(event.target)) {
        event.preventDefault();
        show();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [show, close]);

  // Typing marks the answer as loading (or clears it); the effect below fetches.
  const onQueryChange = (value: string) => {
    setQuery(value);
    if (value.trim()) {
      setState((s) => ({ status: "loading", answer: s.answer }));
    } else {
      setState({ status: "idle", answer: null });
      setActive(-1);
    }
  };

  // Debounced search; a newer query aborts the older request.
  useEffect(() => {
    const q = query.trim();
    if (!q) return;
    const controller = new AbortController();
    const timer = setTimeout(async () => {
      try {
        const res = await fetch(`/search?${new URLSearchParams({ q })}`, {
          signal: controller.signal,
          headers: { Accept: "application/json" },
        });
        if (!res.ok || !res.headers.get("content-type")?.includes("json"))
          throw new Error(`search answered ${res.status}`);
        const answer = (await res.json()) as SearchResult;
        setState({ status: "done", answer });
        setActive(
          answer.hits.length > 0 && answer.exactHit ? answer.hits.findIndex((h) => h.id === answer.exactHit?.id) : -1,
        );
      } catch (error) {
        if (!controller.signal.aborted) setState({ status: "error", answer: null });
      }
    }, 120);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [query]);

  const hits = state.answer?.hits ?? [];
  const go = (hit: SearchHit) => {
    close();
    navigate(customerHref(hit.id));
  };

  const onInputKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (hits.length) setActive((i) => (i + 1) % hits.length);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (hits.length) setActive((i) => (i <= 0 ? hits.length - 1 : i - 1));
    } else if (event.key === "Home" && hits.length && event.ctrlKey) {
      setActive(0);
    } else if (event.key === "Enter") {
      event.preventDefault();
      const chosen = active >= 0 ? hits[active] : (state.answer?.exactHit ?? (hits.length === 1 ? hits[0] : undefined));
      if (chosen) go(chosen);
    }
  };

  const activeId = active >= 0 && hits[active] ? `${listId}-${active}` : undefined;
  const q = query.trim();

  return (
    <>
      <button
        type="button"
        className="search-trigger"
        onClick={show}
        aria-haspopup="dialog"
        aria-keyshortcuts="Control+K Meta+K /"
        aria-label="Search customers (Ctrl+K or /)"
        data-testid="search-trigger"
      >
        <span aria-hidden="true">⌕ Search customers…</span>
        <kbd className="search-trigger__kbd" aria-hidden="true">
          Ctrl K
        </kbd>
      </button>
      <dialog
        ref={dialogRef}
        className="palette"
        aria-labelledby={labelId}
        onClose={() => setOpen(false)}
        onClick={(event) => {
          if (event.target === dialogRef.current) close();
        }}
      >
        {open ? (
          <div className="palette__body">
            <label id={labelId} htmlFor={`${listId}-input`} className="visually-hidden">
              Search customers by email, name, external ID, Commet ID or invoice number
            </label>
            <input
              id={`${listId}-input`}
              ref={inputRef}
              className="palette__input"
              type="text"
              role="combobox"
              aria-expanded={hits.length > 0}
              aria-controls={listId}
              aria-autocomplete="list"
              aria-activedescendant={activeId}
              autoComplete="off"
              spellCheck={false}
              placeholder="Email, name, external ID, Commet ID or invoice number"
              value={query}
              onChange={(e) => onQueryChange(e.target.value)}
              onKeyDown={onInputKey}
            />
            {hits.length > 0 ? (
              <ul id={listId} role="listbox" aria-label="Customers found" className="palette__list">
                {hits.map((hit, i) => (
                  <li
                    key={hit.id}
                    id={`${listId}-${i}`}
                    role="option"
                    aria-selected={i === active}
                    className={i === active ? "palette__hit is-active" : "palette__hit"}
                    onMouseEnter={() => setActive(i)}
                    onMouseDown={(e) => e.preventDefault()}
                    onClick={() => go(hit)}
                    data-testid="search-hit"
                  >
                    <span className="palette__who">
                      <strong>{hit.fullName ?? hit.email}</strong>
                      {hit.fullName ? <span className="muted"> {hit.email}</span> : null}
                    </span>
                    <span className="palette__meta">
                      {hit.externalId ? <code>{hit.externalId}</code> : null}
                      {hit.planName ? <span>{hit.planName}</span> : null}
                      {hit.subscriptionStatus ? <StatusBadge status={hit.subscriptionStatus} /> : null}
                      <span className="palette__match">
                        {matchLabels[hit.matchedOn]}
                        {hit.invoiceNumber ? ` ${hit.invoiceNumber}` : ""}
                        {hit.exact ? " · exact" : ""}
                      </span>
                    </span>
                  </li>
                ))}
              </ul>
            ) : null}
            <p className="palette__status" role="status" aria-live="polite">
              {!q
                ? "Type to search. ↑ ↓ to move, Enter to open, Esc to close."
                : state.status === "loading" && hits.length === 0
                  ? "Searching…"
                  : state.status === "error"
                    ? "Search failed — try again."
                    : hits.length === 0 && state.status === "done"
                      ? `No customer matches “${q}”.`
                      : state.answer?.exactHit
                        ? `${hits.length} ${hits.length === 1 ? "match" : "matches"} — Enter opens the exact match.`
                        : `${hits.length} ${hits.length === 1 ? "match" : "matches"}.`}
            </p>
          </div>
        ) : null}
      </dialog>
    </>
  );
}
