/**
 * A customer's account activity: the Commet webhooks stored about them and the staff actions of the audit
 * trail, merged newest first, one keyset page at a time, optionally one kind only.
 */
import type { ActivityEntry, ActivityKind, ActivityPage } from "../../app/contracts/activity.ts";
import { can, type Role } from "../../app/contracts/permissions.ts";
import type { AuditEntry, AuditLog } from "../audit/index.ts";
import { auditCursorBefore } from "../audit/index.ts";
import { customerLabels } from "../directory/index.ts";
import { describeAction, describeEvent } from "./describe.ts";
import type { ActivityDatabase } from "./schema.ts";
import { listAccountEvents, type AccountEvent } from "./store.ts";

export interface ActivitySources {
  database: ActivityDatabase;
  /** The audit trail's rows (server/audit's listAuditRows, or a test's createAuditLog(db)). */
  audit: Pick<AuditLog, "rows">;
}

export class InvalidActivityCursorError extends Error {
  constructor() {
    super("The activity cursor is not one this console handed out.");
    this.name = "InvalidActivityCursorError";
  }
}

type Before = { at: number; id: string };

function encodeCursor(entry: Before): string {
  return Buffer.from(`${entry.at}:${entry.id}`).toString("base64url");
}

function decodeCursor(cursor: string): Before {
  const raw = Buffer.from(cursor, "base64url").toString();
  const sep = raw.indexOf(":");
  const at = Number(raw.slice(0, sep));
  const id = raw.slice(sep + 1);
  if (sep < 1 || !Number.isSafeInteger(at) || !id || id.length > 200) throw new InvalidActivityCursorError();
  return { at, id };
}

/** Newest first; equal times by id, descending — the order both tables' keysets walk. */
const newestFirst = (a: Before, b: Before) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * Which staff actions a webhook may be the effect of (a cancellation scheduled in the console comes back
 * as subscription.cancellation_scheduled): its sentence then says who asked for it.
 */
const CAUSES: Array<[RegExp, (action: string) => boolean]> = [
  // A full refund of a subscription invoice also ends the subscription.
  [/^subscription\.canceled$/, (a) => a.startsWith("subscriptions.") || a.includes("refund")],
  [/^subscription\.(cancel|plan_change|reactivated|updated)/, (a) => a.startsWith("subscriptions.")],
  [/^payment\.refunded$/, (a) => a.includes("refund")],
  [/^payment\.(recovered|retry_failed|received)$/, (a) => a.includes("retry") || a.includes("recovery")],
  [/^invoice\./, (a) => a.startsWith("invoices.")],
  [/^seats\./, (a) => a.startsWith("seats.")],
];
/** How long before its webhook a staff action counts as its cause (Commet answers within seconds; retries take longer). */
const CAUSE_WINDOW_MS = 10 * 60_000;

function causeOf(event: AccountEvent, actions: readonly AuditEntry[]): AuditEntry | undefined {
  const matches = CAUSES.find(([type]) => type.test(event.type))?.[1];
  if (!matches) return undefined;
  return actions
    .filter(
      (a) =>
        a.status !== "failed" &&
        matches(a.action) &&
        a.createdAt <= event.occurredAt + 5_000 &&
        a.createdAt >= event.occurredAt - CAUSE_WINDOW_MS,
    )
    .sort((x, y) => y.createdAt - x.createdAt)[0];
}

function eventEntry(event: AccountEvent, cause: AuditEntry | undefined): ActivityEntry {
  return {
    id: event.eventId,
    source: "commet",
    at: event.occurredAt,
    kind: event.kind,
    type: event.type,
    sentence: describeEvent(event.type, event.payload, cause?.actor.email),
    actor: cause?.actor.email ?? null,
    status: null,
    payload: event.payload,
  };
}

function staffEntry(entry: AuditEntry): ActivityEntry {
  return {
    id: entry.id,
    source: "staff",
    at: entry.createdAt,
    kind: "staff",
    type: entry.action,
    sentence: describeAction({
      action: entry.action,
      actorEmail: entry.actor.email,
      status: entry.status,
      errorCode: entry.errorCode,
      params: entry.params,
    }),
    actor: entry.actor.email,
    status: entry.status,
    // The audit row as the trail shows it: params were redacted before they were stored.
    payload: {
      action: entry.action,
      role: entry.role,
      status: entry.status,
      idempotencyKey: entry.idempotencyKey,
      params: entry.params,
      commetIds: entry.commetIds,
      error: entry.errorCode ? { code: entry.errorCode, message: entry.errorMessage } : null,
      finalizedAt: entry.finalizedAt,
    },
  };
}

export interface TimelineInput {
  /** A Commet id or an externalId. */
  customerRef: string;
  role: Role;
  kind?: ActivityKind | undefined;
  cursor?: string | undefined;
  pageSize: number;
}

/** One page of the customer's activity. Throws InvalidActivityCursorError for a cursor it did not hand out. */
export async function customerTimeline(sources: ActivitySources, input: TimelineInput): Promise<ActivityPage> {
  const before = input.cursor ? decodeCursor(input.cursor) : undefined;
  const limit = input.pageSize;
  const label = (await customerLabels(sources.database, [input.customerRef]))[input.customerRef];
  // Rows may name the customer by either id: events as Commet sent them before the directory knew it.
  const ids = [...new Set([input.customerRef, label?.id, label?.externalId].filter((v): v is string => !!v))];
  const excludeSecurity = !can(input.role, "audit:security");
  const kind = input.kind;

  const events =
    kind === "staff"
      ? []
      : await listAccountEvents(sources.database, {
          customerIds: ids,
          kind,
          limit: limit + 1,
          ...(before && { before }),
        });
  const readAudit = async (filters: { from?: number; to?: number }, pageSize: number, cursor: string | null) =>
    (await sources.audit.rows({ customerId: ids, excludeSecurity, ...filters }, { pageSize, cursor })).rows;
  const actions =
    kind === undefined || kind === "staff"
      ? await readAudit({}, limit + 1, before ? auditCursorBefore(before.at, before.id) : null)
      : [];

  const merged = [
    ...events.map((e) => ({ at: e.occurredAt, id: e.eventId, event: e, action: undefined })),
    ...actions.map((a) => ({ at: a.createdAt, id: a.id, event: undefined, action: a })),
  ].sort(newestFirst);
  const page = merged.slice(0, limit);
  const shownEvents = page.flatMap((item) => (item.event ? [item.event] : []));
  // The staff actions that may have caused the page's webhooks, whatever the filter shows.
  const candidates =
    shownEvents.length === 0
      ? []
      : await readAudit(
          {
            from: Math.min(...shownEvents.map((e) => e.occurredAt)) - CAUSE_WINDOW_MS,
            to: Math.max(...shownEvents.map((e) => e.occurredAt)) + 5_001,
          },
          200,
          null,
        );
  const entries = page.map((item) =>
    item.event ? eventEntry(item.event, causeOf(item.event, candidates)) : staffEntry(item.action),
  );
  const last = page.at(-1);
  return {
    kind: kind ?? null,
    entries,
    nextCursor: merged.length > limit && last ? encodeCursor(last) : null,
  };
}
