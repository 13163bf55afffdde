/**
 * The subscription writes as exactly-once actions (server/writes): schedule and revert a cancellation
 * (subscriptions:cancel), cancel now (subscriptions:cancel-now), change plan (subscriptions:change-plan).
 */
import { z } from "zod";
import { defineWriteAction } from "../writes/index.ts";

const id = z.string();

export const cancelWrite = defineWriteAction({
  name: "subscriptions.cancel",
  permission: "subscriptions:cancel",
  noun: { done: "Already scheduled", what: "cancellation" },
  request: z.object({
    call: z.literal("subscriptions.cancel"),
    params: z.object({ id, reason: z.string() }).strict(),
  }),
  async send(commet, request, options) {
    return (await commet.subscriptions.cancel(request.params, options)).data;
  },
});

export const uncancelWrite = defineWriteAction({
  name: "subscriptions.uncancel",
  permission: "subscriptions:cancel",
  noun: { done: "Already reverted", what: "cancellation revert" },
  request: z.object({ call: z.literal("subscriptions.uncancel"), params: z.object({ id }).strict() }),
  async send(commet, request, options) {
    return (await commet.subscriptions.uncancel(request.params, options)).data;
  },
});

export const cancelNowWrite = defineWriteAction({
  name: "subscriptions.cancel_now",
  permission: "subscriptions:cancel-now",
  noun: { done: "Already canceled", what: "immediate cancellation" },
  request: z.object({
    call: z.literal("subscriptions.cancel"),
    params: z.object({ id, reason: z.string(), immediate: z.literal(true) }).strict(),
  }),
  async send(commet, request, options) {
    return (await commet.subscriptions.cancel(request.params, options)).data;
  },
});

export const changePlanWrite = defineWriteAction({
  name: "subscriptions.change_plan",
  permission: "subscriptions:change-plan",
  noun: { done: "Already changed", what: "plan change" },
  request: z.object({
    call: z.literal("subscriptions.changePlan"),
    params: z.object({ id, newPlanId: z.string() }).strict(),
  }),
  async send(commet, request, options) {
    return (await commet.subscriptions.changePlan(request.params, options)).data;
  },
});
