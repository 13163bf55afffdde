/**
 * The customer page in one call: every panel's promise (server/customer-view), the write forms the role
 * may use, and a 404 answer for a customer Commet does not know.
 */
import type { PanelResult } from "../../app/contracts/customer-view.ts";
import { newIdempotencyKey } from "../../app/contracts/ops-forms.ts";
import { can, type Role } from "../../app/contracts/permissions.ts";
import type { Problem } from "../../app/contracts/problem.ts";
import { loadSeatPanel } from "../seats/index.ts";
import { loadUsagePanel } from "../usage/index.ts";
import { customerUnsettledWrites } from "../writes/index.ts";
import { loadCustomerView, panelProblem, settleWithin } from "./index.ts";

/** How long the page waits for the profile before streaming: long enough to answer 404 for a wrong id. */
const PROFILE_WAIT_MS = 1_500;

/** A write form's data as a never-rejecting panel promise. */
const formPanel = <T>(promise: Promise<T>, name: string): Promise<PanelResult<T>> =>
  promise.then(
    (data) => ({ ok: true as const, data }),
    (error: unknown) => ({ ok: false as const, problem: panelProblem(error, name) }),
  );

export async function loadCustomerPage(customerRef: string, role: Role, staffId: string | null = null) {
  const panels = loadCustomerView(customerRef);
  const profile = await settleWithin(panels.profile, PROFILE_WAIT_MS);
  if (profile && !profile.ok && profile.problem.kind === "not_found") {
    const notFound: Problem = {
      ...profile.problem,
      title: "No such customer",
      message: `Commet has no customer “${customerRef}”.`,
    };
    return { notFound, page: null };
  }
  return {
    notFound: null,
    page: {
      customerRef,
      canIssuePortal: can(role, "portal:issue"),
      canReadAudit: can(role, "audit:read"),
      ...panels,
      // Writes on this customer Commet has not confirmed yet ("awaiting confirmation"; server/writes resolver).
      unsettledWrites: formPanel(customerUnsettledWrites(customerRef, staffId), "unsettled-writes"),
      // Each form's idempotency key is made here, when the form is rendered (same on the server render and in the browser).
      seatForm: can(role, "seats:write")
        ? { resolve: formPanel(loadSeatPanel(customerRef), "seat-form"), key: newIdempotencyKey("seats") }
        : null,
      usageForm: can(role, "usage:write")
        ? {
            resolve: formPanel(loadUsagePanel(customerRef), "usage-form"),
            keys: { record: newIdempotencyKey("usage"), set: newIdempotencyKey("usage-set") },
          }
        : null,
    },
  };
}
