/** The seat change as an exactly-once write: seats.add / seats.set / seats.remove, needing seats:write. */
import { z } from "zod";
import type { SeatOp } from "../../app/contracts/ops-forms.ts";
import { defineWriteAction } from "../writes/index.ts";

const seatParams = z.object({ customerId: z.string(), featureCode: z.string(), count: z.number() }).strict();
const seatRequest = z.discriminatedUnion("call", [
  z.object({ call: z.literal("seats.add"), params: seatParams }),
  z.object({ call: z.literal("seats.set"), params: seatParams }),
  z.object({ call: z.literal("seats.remove"), params: seatParams }),
]);
export type SeatRequest = z.infer<typeof seatRequest>;

export const SEAT_CALL: Record<SeatOp, SeatRequest["call"]> = {
  add: "seats.add",
  set: "seats.set",
  remove: "seats.remove",
};

export const seatChangeWrite = defineWriteAction({
  name: "seats.change",
  permission: "seats:write",
  noun: { done: "Already applied", what: "seat change" },
  request: seatRequest,
  async send(commet, request, options) {
    switch (request.call) {
      case "seats.add":
        return (await commet.seats.add(request.params, options)).data;
      case "seats.set":
        return (await commet.seats.set(request.params, options)).data;
      case "seats.remove":
        return (await commet.seats.remove(request.params, options)).data;
    }
  },
});
