/**
 * server/portal — customer portal links (Commet `portal.getUrl`).
 *
 *   issuePortalLink({ actor, role, customerId }, { commet?, audit? }) → { portalUrl, customerId, issuedAt }
 *     Asks Commet for a fresh portal session for the customer (Commet id or externalId) under a
 *     new Idempotency-Key, audited write-ahead as "portal.issue" (who, for whom, when; the params
 *     hold the customer id only — never the URL). The URL goes back to the caller (the route action,
 *     which shows it once) and nowhere else: not logged, not stored. Commet errors are rethrown
 *     untouched (map them with server/commet/errors.ts).
 *   PORTAL_LINK_NOTE — what the agent is told about the link's lifetime.
 *
 * Permission (server/auth): "portal:issue" (support, ops, admin). The route checks it.
 */
import { randomUUID } from "node:crypto";
import type { Commet } from "@commet/node";
import { z } from "zod";
import { runAudited as runAuditedInConsoleDb } from "../audit/index.ts";
import { getCommet } from "../commet/client.ts";

export const PORTAL_ACTION = "portal.issue";

/** Commet's portal sessions: single use here, and gone after 2 hours of inactivity. */
export const PORTAL_LINK_NOTE =
  "This link is single-use and expires after 2 hours of inactivity. Send it only to the customer, and issue a new one if it has expired.";

export const issuePortalLinkSchema = z.object({
  actor: z.object({ id: z.string().min(1), email: z.string().min(1) }),
  role: z.string().min(1),
  customerId: z.string().trim().min(1).max(255),
});
export type IssuePortalLinkInput = z.input<typeof issuePortalLinkSchema>;

export interface PortalLink {
  portalUrl: string;
  /** The Commet id or externalId the link was issued for. */
  customerId: string;
  issuedAt: string;
}

type RunAudited = typeof runAuditedInConsoleDb;

export interface IssuePortalLinkOptions {
  commet?: Pick<Commet, "portal">;
  /** server/audit's runAudited (default); tests may bind another database. */
  runAudited?: RunAudited;
  clock?: () => number;
}

export async function issuePortalLink(
  input: IssuePortalLinkInput,
  options: IssuePortalLinkOptions = {},
): Promise<PortalLink> {
  const { actor, role, customerId } = issuePortalLinkSchema.parse(input);
  const commet = options.commet ?? getCommet();
  const runAudited = options.runAudited ?? runAuditedInConsoleDb;
  const idempotencyKey = `portal-${randomUUID()}`;
  const portalUrl = await runAudited(
    { actor, role, action: PORTAL_ACTION, customerId, params: { customerId }, idempotencyKey },
    async () => {
      const response = await commet.portal.getUrl({ customerId }, { idempotencyKey });
      const url = response.data?.portalUrl;
      if (!url)
        throw Object.assign(new Error("Commet answered portal.getUrl without a portalUrl"), { code: "no_portal_url" });
      return url;
    },
    // The row records that a link was issued; the link itself is a bearer credential and stays out.
    { success: () => ({}) },
  );
  return { portalUrl, customerId, issuedAt: new Date((options.clock ?? Date.now)()).toISOString() };
}
