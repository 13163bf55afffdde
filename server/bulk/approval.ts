/**
 * Starting a batch as one write of the engine ("bulk.apply"): the approvals gate is asked once for the
 * whole batch, so a policy that holds any of its rows makes the batch ONE approval request; on approval
 * (or at once) the write starts the batch's runner, whose rows then go to Commet each with its own key.
 */
import { z } from "zod";
import type { ApprovalPreview, ApprovalRuleKey } from "../../app/contracts/approvals.ts";
import { defineApprovable, type ApprovalMeasure } from "../approvals/index.ts";
import { defineWriteAction } from "../writes/index.ts";

const applyRequest = z.object({
  call: z.literal("bulk.apply"),
  params: z.object({ batchId: z.string(), validatedAt: z.number() }).strict(),
});

/** What the process's bulk domain does when a batch write runs (installed by createBulk). */
export interface BatchHooks {
  /** Moves the batch to `applying` and wakes its runner; throws when the batch cannot start. */
  start(batchId: string, validatedAt: number): Promise<void>;
  /** The approver's preview, read from the stored batch. */
  preview(batchId: string, validatedAt: number): Promise<ApprovalPreview>;
}

let hooks: BatchHooks | null = null;

export function installBatchHooks(installed: BatchHooks): void {
  hooks = installed;
}

function installed(): BatchHooks {
  if (!hooks) throw new Error("bulk: no batch runner in this process");
  return hooks;
}

/**
 * Not a Commet call: "send" starts the batch (idempotent: a batch already started stays as it is), and
 * its answer's id is the batch's. The rows' own writes are seats.change / usage.record.
 */
export const bulkApplyWrite = defineWriteAction({
  name: "bulk.apply",
  permission: "bulk:apply",
  noun: { done: "Already started", what: "bulk batch" },
  request: applyRequest,
  async send(_commet, request) {
    await installed().start(request.params.batchId, request.params.validatedAt);
    return { id: request.params.batchId };
  },
});

/** The rule and measure that hold the batch (the first row the policy holds), stored with the write. */
export interface BatchAssessment {
  rule: ApprovalRuleKey;
  measure: ApprovalMeasure;
}

defineApprovable({
  action: bulkApplyWrite.name,
  rules: ["bulk", "seats.change", "usage.record"],
  approvedMessage: "Approved: the batch is being applied, each row to Commet once",
  assess(spec) {
    const held = (spec.details ?? {}).held as BatchAssessment | null | undefined;
    return held ?? null;
  },
  async preview(spec) {
    const params = spec.request.params as { batchId: string; validatedAt: number };
    return installed().preview(params.batchId, params.validatedAt);
  },
});
