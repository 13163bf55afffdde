/**
 * A kind of exactly-once write, declared by its domain (seats, usage, …) and known to the engine by
 * name: its audit action, the permission it needs, the words of its answers, and its one Commet call.
 */
import type { Commet } from "@commet/node";
import type { z } from "zod";
import type { Permission } from "../../app/contracts/permissions.ts";

/** The one SDK call a logical write makes, with its exact params (stored in the audit row, replayed as is). */
export interface CommetRequest {
  call: string;
  params: Record<string, unknown>;
}

export interface WriteAction<R extends CommetRequest = CommetRequest> {
  /** The audit action (one key = one row per action), e.g. "seats.change". */
  name: string;
  permission: Permission;
  /** For answers: "Already applied at …", "this seat change is being written". */
  noun: { done: string; what: string };
  /** Parses a stored request (replay after an unknown outcome). */
  request: z.ZodType<R>;
  /** Sends the request with the key as Idempotency-Key; resolves to Commet's answer (its `id` is recorded). */
  send(commet: Commet, request: R, options: { idempotencyKey: string }): Promise<{ id?: string } | undefined>;
}

const actions = new Map<string, WriteAction>();

/**
 * Declares a write action and makes it known to the engine (a pending row is resolved by its action's
 * name). Domains declare theirs at module level; a name is declared once.
 */
export function defineWriteAction<R extends CommetRequest>(action: WriteAction<R>): WriteAction<R> {
  if (actions.has(action.name)) throw new Error(`write action ${action.name} is declared twice`);
  actions.set(action.name, action as unknown as WriteAction);
  return action;
}

/** The declared write action of an audit row's action name (undefined: not an exactly-once write). */
export function writeActionNamed(name: string): WriteAction | undefined {
  return actions.get(name);
}

/** Every declared action name (the resolver and the unsettled-writes lists look only at these rows). */
export function declaredWriteActionNames(): string[] {
  return [...actions.keys()];
}
