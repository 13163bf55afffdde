/**
 * The mechanics every ops write form shares: wait for hydration, one submission at a time, each
 * answer handled once, and a fresh idempotency key once the current one is spent.
 */
import { useFetcher } from "@remix-run/react";
import { useCallback, useEffect, useRef, useState, useSyncExternalStore, type FormEvent } from "react";
import { newIdempotencyKey } from "~/contracts/ops-forms";

/** Answers after which the key is spent: applied, answered from the audit trail, or refused by Commet. */
const SPENT = new Set(["ok", "already_recorded", "previous_failed"]);

/** An action's answer as the fetcher holds it (JSON). */
type Answer<R> = NonNullable<ReturnType<typeof useFetcher<R>>["data"]>;

const subscribeNever = () => () => {};

/** False on the server and during hydration: until then a click would post the form natively. */
function useHydrated(): boolean {
  return useSyncExternalStore(
    subscribeNever,
    () => true,
    () => false,
  );
}

export function useOpsForm<R extends { kind: string }>(options: {
  /** The fetcher's key (one per form and customer, so a remount keeps the pending answer). */
  fetcherKey: string;
  keyPrefix: Parameters<typeof newIdempotencyKey>[0];
  /** The key generated when the page was rendered. */
  initialKey: string;
  /** Called once per answer; the key has already been renewed if the answer spent it. */
  onResult: (result: Answer<R>) => void;
}) {
  const fetcher = useFetcher<R>({ key: options.fetcherKey });
  const [key, setKey] = useState(options.initialKey);
  const hydrated = useHydrated();
  const busy = fetcher.state !== "idle";
  const submitting = useRef(false);
  // An answer already there when the form mounts belongs to an earlier mount of this form (e.g. the
  // cancel form, replaced by the revert form and back): handled then, not shown again.
  const earlier = fetcher.state === "idle" ? fetcher.data : undefined;
  const handled = useRef<Answer<R> | undefined>(earlier);
  const onResult = useRef(options.onResult);
  const { keyPrefix } = options;

  useEffect(() => {
    onResult.current = options.onResult;
  });

  // A spent key is renewed while rendering the answer, so the form never shows it again.
  const [spentBy, setSpentBy] = useState<Answer<R> | undefined>(earlier);
  const answer = fetcher.state === "idle" ? fetcher.data : undefined;
  if (answer && answer !== spentBy && SPENT.has(answer.kind)) {
    setSpentBy(answer);
    setKey(newIdempotencyKey(keyPrefix));
  }

  useEffect(() => {
    if (fetcher.state !== "idle") return;
    submitting.current = false;
    const result = fetcher.data;
    if (!result || handled.current === result) return;
    handled.current = result;
    onResult.current(result);
  }, [fetcher.state, fetcher.data]);

  /** onSubmit of every form posting through this fetcher: a double click must not post twice. */
  const guard = useCallback((event: FormEvent) => {
    if (submitting.current) event.preventDefault();
    submitting.current = true;
  }, []);

  return {
    fetcher,
    key,
    setKey,
    busy,
    /** Buttons stay disabled until hydrated and while a submission runs. */
    disabled: busy || !hydrated,
    guard,
  };
}
