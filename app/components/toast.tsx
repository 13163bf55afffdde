// Toasts for form outcomes: one at a time, in a live region screen readers announce.

import { useCallback, useEffect, useRef, useState } from "react";

export type ToastTone = "success" | "info" | "error";

export interface ToastMessage {
  id: number;
  tone: ToastTone;
  text: string;
}

/** How long a toast stays (errors stay until dismissed). */
const TOAST_MS = 8_000;

/**
 * One toast at a time for a form's outcome. `show()` from an effect that reacts to a fetcher's answer.
 * The live region is rendered empty from the start, so screen readers announce what lands in it.
 */
export function useToast() {
  const [toast, setToast] = useState<ToastMessage | null>(null);
  const next = useRef(0);
  const show = useCallback((tone: ToastTone, text: string) => {
    next.current += 1;
    setToast({ id: next.current, tone, text });
  }, []);
  const dismiss = useCallback(() => setToast(null), []);
  return { toast, show, dismiss };
}

export function Toast({
  toast,
  onDismiss,
  label,
}: {
  toast: ToastMessage | null;
  onDismiss: () => void;
  label: string;
}) {
  useEffect(() => {
    if (!toast || toast.tone === "error") return;
    const timer = setTimeout(onDismiss, TOAST_MS);
    return () => clearTimeout(timer);
  }, [toast, onDismiss]);
  return (
    <div className="toast-region" role="status" aria-live="polite" aria-label={label}>
      {toast ? (
        <div className={`toast toast--${toast.tone}`} data-testid="toast" data-tone={toast.tone} key={toast.id}>
          <p className="toast__text">{toast.text}</p>
          <button type="button" className="button button--quiet button--small" onClick={onDismiss} aria-label="Dismiss">
            ×
          </button>
        </div>
      ) : null}
    </div>
  );
}
