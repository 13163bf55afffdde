/** Manual usage as exactly-once writes: one event (usage.track) and the period total (usage.set), needing usage:write. */
import { z } from "zod";
import { defineWriteAction } from "../writes/index.ts";

const trackRequest = z.object({
  call: z.literal("usage.track"),
  params: z
    .object({
      feature: z.string(),
      customerId: z.string(),
      value: z.number(),
      timestamp: z.string(),
      idempotencyKey: z.string(),
      properties: z.record(z.string(), z.string()).optional(),
    })
    .strict(),
});

const setRequest = z.object({
  call: z.literal("usage.set"),
  params: z
    .object({
      customerId: z.string(),
      feature: z.string(),
      value: z.number(),
      idempotencyKey: z.string(),
      reason: z.string().optional(),
    })
    .strict(),
});

export const usageRecordWrite = defineWriteAction({
  name: "usage.record",
  permission: "usage:write",
  noun: { done: "Already recorded", what: "usage event" },
  request: trackRequest,
  send: async (commet, request, options) => (await commet.usage.track(request.params, options)).data,
});

export const usageSetWrite = defineWriteAction({
  name: "usage.set",
  permission: "usage:write",
  noun: { done: "Already recorded", what: "usage correction" },
  request: setRequest,
  send: async (commet, request, options) => (await commet.usage.set(request.params, options)).data,
});
