/** The payment writes as exactly-once actions: retry a failed renewal, refund a charge, issue a recovery link. */
import { z } from "zod";
import { defineWriteAction } from "../writes/index.ts";

const byId = z.object({ id: z.string().min(1) }).strict();

export const paymentRetryWrite = defineWriteAction({
  name: "payments.retry",
  permission: "payments:retry",
  noun: { done: "Retry already requested", what: "payment retry" },
  request: z.object({ call: z.literal("transactions.retry"), params: byId }),
  async send(commet, request, options) {
    return (await commet.transactions.retry(request.params, options)).data;
  },
});

export const paymentRefundWrite = defineWriteAction({
  name: "payments.refund",
  permission: "payments:refund",
  noun: { done: "Already refunded", what: "refund" },
  request: z.object({ call: z.literal("transactions.refund"), params: byId }),
  async send(commet, request, options) {
    return (await commet.transactions.refund(request.params, options)).data;
  },
});

/**
 * The recovery link: Commet's answer (url, token) goes back to the one caller and nowhere else — the
 * engine records only an answer's `id`, and a RecoveryLink has none.
 */
export const recoveryLinkWrite = defineWriteAction({
  name: "recovery.issue",
  permission: "recovery:issue",
  noun: { done: "Recovery link already issued (it was shown once, then)", what: "recovery link" },
  request: z.object({ call: z.literal("subscriptions.createRecoveryLink"), params: byId }),
  async send(commet, request, options) {
    const data = (await commet.subscriptions.createRecoveryLink(request.params, options)).data;
    return data ? { id: undefined, url: data.url } : undefined;
  },
});
