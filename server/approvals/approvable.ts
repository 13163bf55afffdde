/**
 * The writes a policy rule may hold, declared by their domains (seats, usage, payments, subscriptions):
 * which rule a write falls under with its measure, and the preview an approver compares — computed the
 * same way when it is requested and again, fresh, when it is decided.
 */
import type { ApprovalPreview, ApprovalRuleKey } from "../../app/contracts/approvals.ts";
import type { CommetRequest, WriteEngine, WriteSpec } from "../writes/index.ts";
import type { ApprovalMeasure } from "./policy.ts";

export interface Approvable {
  /** The write action's name (defineWriteAction). */
  action: string;
  /** The rules `assess` may name: when none is enabled, nothing is assessed (no Commet read). */
  rules: ApprovalRuleKey[];
  /** The rule this write falls under and its measure; null when no rule concerns it (e.g. an upgrade). */
  assess(
    spec: WriteSpec<CommetRequest>,
    engine: WriteEngine,
  ):
    | { rule: ApprovalRuleKey; measure: ApprovalMeasure }
    | null
    | Promise<{ rule: ApprovalRuleKey; measure: ApprovalMeasure } | null>;
  /** What the write would do if sent now, read fresh from Commet. Throws Commet's read errors. */
  preview(spec: WriteSpec<CommetRequest>, engine: WriteEngine): Promise<ApprovalPreview>;
  /** What "approved" means once the write ran, when it is not Commet applying it at once (a batch starting). */
  approvedMessage?: string;
}

const approvables = new Map<string, Approvable>();

export function defineApprovable(approvable: Approvable): Approvable {
  if (approvables.has(approvable.action)) throw new Error(`approvable ${approvable.action} is declared twice`);
  approvables.set(approvable.action, approvable);
  return approvable;
}

export function approvableFor(action: string): Approvable | undefined {
  return approvables.get(action);
}
