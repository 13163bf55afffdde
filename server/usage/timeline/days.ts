/**
 * Days and ranges of the usage timeline. Everything is UTC: a day is the UTC calendar day
 * (epoch day = floor(epoch ms / 86 400 000)), ranges are inclusive lists of UTC days, and every
 * result says so (`timezone: "UTC"`) so screens label their axes accordingly.
 */
import { z } from "zod";

export const DAY_MS = 86_400_000;
export const TIMEZONE = "UTC" as const;
/** Longest range a query accepts (a little over a year). */
export const MAX_RANGE_DAYS = 400;

export function epochDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** "YYYY-MM-DD" of a UTC epoch day. */
export function dayToIso(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

const isoDay = z.iso.date();

/** "YYYY-MM-DD" (a UTC calendar day) → epoch day. */
export function isoToDay(date: string): number {
  return epochDay(Date.parse(`${isoDay.parse(date)}T00:00:00Z`));
}

export const RANGE_PRESETS = ["7d", "30d", "90d", "custom"] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];

/** Range as a URL carries it: a preset ending today (UTC), or custom from/to (inclusive UTC days). */
export const rangeSchema = z
  .object({
    range: z.enum(RANGE_PRESETS).catch("30d"),
    from: isoDay.optional().catch(undefined),
    to: isoDay.optional().catch(undefined),
  })
  .refine((r) => r.range !== "custom" || (r.from !== undefined && r.to !== undefined), {
    message: "A custom range needs from and to (YYYY-MM-DD, UTC)",
    path: ["from"],
  });
export type RangeInput = z.input<typeof rangeSchema>;

export interface DayRange {
  /** First and last UTC epoch day, inclusive. */
  fromDay: number;
  toDay: number;
  timezone: typeof TIMEZONE;
}

export class InvalidRangeError extends Error {}

/** Resolves a preset or custom range against `now` (epoch ms). 7d = today and the 6 days before. */
export function resolveRange(input: RangeInput, now: number): DayRange {
  const parsed = rangeSchema.safeParse(input);
  if (!parsed.success) throw new InvalidRangeError(parsed.error.issues[0]?.message ?? "invalid range");
  const r = parsed.data;
  if (r.range !== "custom") {
    const toDay = epochDay(now);
    return { fromDay: toDay - (Number.parseInt(r.range, 10) - 1), toDay, timezone: TIMEZONE };
  }
  return daysBetween(isoToDay(r.from!), isoToDay(r.to!));
}

export function daysBetween(fromDay: number, toDay: number): DayRange {
  if (!Number.isInteger(fromDay) || !Number.isInteger(toDay)) throw new InvalidRangeError("days must be integers");
  if (toDay < fromDay) throw new InvalidRangeError("The range ends before it starts");
  if (toDay - fromDay + 1 > MAX_RANGE_DAYS) throw new InvalidRangeError(`A range spans at most ${MAX_RANGE_DAYS} days`);
  return { fromDay, toDay, timezone: TIMEZONE };
}

/** Every day of a range, oldest first. */
export function rangeDays(range: DayRange): number[] {
  return Array.from({ length: range.toDay - range.fromDay + 1 }, (_, i) => range.fromDay + i);
}
