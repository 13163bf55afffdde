/**
 * Background work that repeats: a run, then a pause the run chose, never two runs at once, a timer that does
 * not keep the process alive, and `stop()` that aborts the run in progress and waits for it.
 */
export function startPeriodic(
  run: (signal: AbortSignal) => Promise<number>,
  options: { initialDelayMs: number; onError: (error: unknown) => number },
): () => Promise<void> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | null = null;
  const schedule = (ms: number) => {
    if (controller.signal.aborted) return;
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  const tick = () => {
    current = run(controller.signal)
      .catch(options.onError)
      .then((nextMs) => {
        current = null;
        schedule(nextMs);
      });
  };
  schedule(options.initialDelayMs);
  return async () => {
    controller.abort();
    if (timer) clearTimeout(timer);
    await current;
  };
}
