// The sandbox's fault injection for tests: latency, errors, rate limits and dropped webhooks on matching traffic.

import { z } from "zod";

const REQUEST_ONLY = ["route", "latencyMs", "errorRate", "errorStatus", "rateLimit", "applyThenDrop"] as const;

/**
 * A rule matches "METHOD /path" (glob: `*` matches any run of characters; a pattern without a method matches
 * every method). Every matching rule applies: latencies add up; the first matching rateLimit / error /
 * applyThenDrop decides the outcome. errorRate is deterministic: an accumulator fails exactly `rate` of the
 * matching requests (0.5 → every second one; 1 → every one). `times` limits a rule to its next N matches.
 * Rules with `webhook` (+ `drop: true`) match outgoing webhook deliveries by event type instead of requests.
 */
export const faultRuleSchema = z
  .object({
    route: z.string().min(1).optional(),
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    errorRate: z.number().min(0).max(1).optional(),
    errorStatus: z.union([z.literal(500), z.literal(503)]).optional(),
    rateLimit: z.object({ retryAfterSeconds: z.number().int().min(1).max(3600) }).optional(),
    applyThenDrop: z.boolean().optional(),
    /** Outgoing webhook rule: glob over the event type ("usage.recorded", "subscription.*", "*"). */
    webhook: z.string().min(1).optional(),
    /** With `webhook`: matching deliveries are marked 'dropped' — never sent, never retried. */
    drop: z.literal(true).optional(),
    times: z.number().int().min(1).optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (rule.webhook === undefined) {
      if (rule.drop)
        ctx.addIssue({ code: "custom", path: ["drop"], message: 'drop applies to webhook rules: add "webhook"' });
      return;
    }
    if (!rule.drop) ctx.addIssue({ code: "custom", path: ["drop"], message: 'a webhook rule needs "drop": true' });
    for (const key of REQUEST_ONLY) {
      if (rule[key] !== undefined) {
        ctx.addIssue({ code: "custom", path: [key], message: `${key} applies to API requests, not to webhook rules` });
      }
    }
  });

export type FaultRule = z.infer<typeof faultRuleSchema>;
export const faultRulesSchema = z.array(faultRuleSchema);

export interface FaultDecision {
  latencyMs: number;
  error?: 500 | 503;
  rateLimit?: { retryAfterSeconds: number };
  applyThenDrop: boolean;
}

interface ActiveRule {
  rule: FaultRule;
  matcher: RegExp;
  remaining: number | null;
  acc: number;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

export class Faults {
  private rules: ActiveRule[] = [];

  set(rules: FaultRule[]): void {
    this.rules = rules.map((rule) => {
      if (rule.webhook !== undefined)
        return { rule, matcher: globToRegExp(rule.webhook), remaining: rule.times ?? null, acc: 0 };
      const route = rule.route ?? "*";
      const pattern = /^([A-Z]+|\*) \//.test(route) ? route : `* ${route}`;
      return { rule, matcher: globToRegExp(pattern), remaining: rule.times ?? null, acc: 0 };
    });
  }

  clear(): void {
    this.rules = [];
  }

  list(): Array<FaultRule & { remaining: number | null }> {
    return this.rules.map((r) => ({ ...r.rule, remaining: r.remaining }));
  }

  get active(): boolean {
    return this.rules.length > 0;
  }

  /** Decides the faults for one request and consumes `times` of the matching rules. */
  decide(method: string, path: string): FaultDecision | null {
    if (this.rules.length === 0) return null;
    const key = `${method} ${path}`;
    const decision: FaultDecision = { latencyMs: 0, applyThenDrop: false };
    let matched = false;
    for (const r of this.rules) {
      if (r.rule.webhook !== undefined || !r.matcher.test(key)) continue;
      matched = true;
      if (r.remaining !== null) r.remaining -= 1;
      decision.latencyMs += r.rule.latencyMs ?? 0;
      if (r.rule.rateLimit && !decision.rateLimit && decision.error === undefined)
        decision.rateLimit = r.rule.rateLimit;
      if (r.rule.errorStatus !== undefined || r.rule.errorRate !== undefined) {
        r.acc += r.rule.errorRate ?? 1;
        if (r.acc >= 1 - 1e-9) {
          r.acc -= 1;
          if (decision.error === undefined && !decision.rateLimit) decision.error = r.rule.errorStatus ?? 500;
        }
      }
      if (r.rule.applyThenDrop) decision.applyThenDrop = true;
    }
    this.prune();
    return matched ? decision : null;
  }

  /** Whether an outgoing delivery of `eventType` is dropped; consumes `times` of the first matching webhook rule. */
  dropDelivery(eventType: string): boolean {
    const r = this.rules.find((x) => x.rule.webhook !== undefined && x.matcher.test(eventType));
    if (!r) return false;
    if (r.remaining !== null) r.remaining -= 1;
    this.prune();
    return true;
  }

  private prune(): void {
    this.rules = this.rules.filter((r) => r.remaining === null || r.remaining > 0);
  }
}
