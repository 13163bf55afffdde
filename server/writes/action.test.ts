import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineWriteAction, writeActionNamed } from "./action.ts";

const request = z.object({ call: z.literal("test.call"), params: z.object({ n: z.number() }) });

describe("write actions", () => {
  it("are known by name once declared, and a name is declared once", () => {
    const action = defineWriteAction({
      name: "test.declared",
      permission: "seats:write",
      noun: { done: "Already done", what: "test write" },
      request,
      send: async () => ({ id: "x" }),
    });
    expect(writeActionNamed("test.declared")).toBe(action);
    expect(writeActionNamed("test.unknown")).toBeUndefined();
    expect(() => defineWriteAction({ ...action })).toThrow(/declared twice/);
  });
});
