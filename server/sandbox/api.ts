// The sandbox's route-handler kit: the handler types, input validation and cursor paging every route uses.

import { z } from "zod";
import { errors } from "./errors.ts";
import { decodeCursor, encodeCursor } from "./ids.ts";
import type { Sandbox } from "./model.ts";

export interface RouteCtx {
  sb: Sandbox;
  params: Record<string, string | undefined>;
  query: Record<string, string>;
  body: unknown;
  requestId: string;
}

export interface Reply {
  status?: number;
  data: unknown;
  hasMore?: boolean;
  nextCursor?: string;
}

export type Handler = (ctx: RouteCtx) => Reply;
export type Method = "GET" | "POST" | "PUT" | "DELETE";
export type RouteDef = [Method, string, Handler];

/** Validates input with zod; failures become 400 validation_error with details [{field, message}]. */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join(".") : "body",
    message: issue.message,
  }));
  throw errors.validation(`Invalid request: ${details.map((d) => `${d.field}: ${d.message}`).join("; ")}`, details);
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
  cursor: z
    .string()
    .refine((c) => decodeCursor(c) !== null, "Invalid cursor")
    .optional(),
};

/**
 * Cursor paging by the table's `seq` (insertion order): fetch limit+1 rows after the cursor,
 * report hasMore and the next cursor.
 */
export function page<Row extends { seq: number }>(
  sb: Sandbox,
  table: string,
  filters: Array<[string, unknown]>,
  opts: { limit?: number | undefined; cursor?: string | undefined },
): { rows: Row[]; hasMore: boolean; nextCursor?: string } {
  const limit = opts.limit ?? DEFAULT_PAGE_SIZE;
  const after = opts.cursor ? (decodeCursor(opts.cursor) ?? 0) : 0;
  const where = ["seq > ?", ...filters.map(([clause]) => clause)].join(" AND ");
  const rows = sb
    .q(`SELECT * FROM ${table} WHERE ${where} ORDER BY seq LIMIT ?`)
    .all(after, ...filters.map(([, v]) => v), limit + 1) as Row[];
  const hasMore = rows.length > limit;
  if (hasMore) rows.length = limit;
  const last = rows[rows.length - 1];
  return hasMore && last ? { rows, hasMore, nextCursor: encodeCursor(last.seq) } : { rows, hasMore };
}

export function listReply<Row extends { seq: number }, T>(
  p: { rows: Row[]; hasMore: boolean; nextCursor?: string },
  map: (row: Row) => T,
): Reply {
  const reply: Reply = { data: p.rows.map(map), hasMore: p.hasMore };
  if (p.nextCursor) reply.nextCursor = p.nextCursor;
  return reply;
}

/** Pages an in-memory list with the same cursor format (small catalogs). */
export function pageArray<T>(items: T[], opts: { limit?: number | undefined; cursor?: string | undefined }): Reply {
  const limit = opts.limit ?? DEFAULT_PAGE_SIZE;
  const start = opts.cursor ? (decodeCursor(opts.cursor) ?? 0) : 0;
  const slice = items.slice(start, start + limit);
  const hasMore = start + limit < items.length;
  const reply: Reply = { data: slice, hasMore };
  if (hasMore) reply.nextCursor = encodeCursor(start + limit);
  return reply;
}

export const nonEmpty = z.string().min(1);
export const positiveInt = z.number().int().positive();
export const nonNegativeInt = z.number().int().min(0);
