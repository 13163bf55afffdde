/**
 * /readyz: may a load balancer send traffic here — the database answers and Commet answers. Each check has a
 * short timeout; the answer is cached for a couple of seconds and shared by concurrent probes.
 */
export type ReadinessPart = "database" | "commet";
export type Readiness = { ready: boolean } & Record<ReadinessPart, "ok" | "failed">;

export interface ReadinessOptions {
  checks: Record<ReadinessPart, (timeoutMs: number) => Promise<void>>;
  timeoutMs?: number;
  cacheMs?: number;
  clock?: () => number;
  /** Why a part failed (the answer itself says only which part: it is public). */
  log: (line: string) => void;
}

function withTimeout(check: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([check, timeout]).finally(() => clearTimeout(timer));
}

export function createReadiness(options: ReadinessOptions): () => Promise<Readiness> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const cacheMs = options.cacheMs ?? 2_000;
  const clock = options.clock ?? Date.now;
  let cached: { at: number; answer: Promise<Readiness> } | undefined;

  const part = async (name: ReadinessPart): Promise<"ok" | "failed"> => {
    try {
      await withTimeout(
        Promise.resolve().then(() => options.checks[name](timeoutMs)),
        timeoutMs,
      );
      return "ok";
    } catch (error) {
      options.log(`readiness: ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      return "failed";
    }
  };
  const check = async (): Promise<Readiness> => {
    const [database, commet] = await Promise.all([part("database"), part("commet")]);
    return { ready: database === "ok" && commet === "ok", database, commet };
  };

  return () => {
    const now = clock();
    if (!cached || now - cached.at >= cacheMs) cached = { at: now, answer: check() };
    return cached.answer;
  };
}
