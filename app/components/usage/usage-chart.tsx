// The usage explorer's stacked chart: totals per feature per UTC day (Recharts, rendered after hydration).

import { Bar, CartesianGrid, ComposedChart, Legend, Line, Tooltip, XAxis, YAxis } from "recharts";
import { formatQuantity, shortDay } from "~/contracts/format";
import type { UsageGrain } from "~/contracts/usage-grain";
import { seriesColor } from "./palette";

export interface UsageChartProps {
  /** Feature codes in stack order. */
  features: string[];
  /** One entry per UTC day (zero-filled), as server/usage/timeline usageSeries returns it. */
  days: Array<{ date: string; totals: Record<string, number>; total: number }>;
  /** Unit name per feature code (tooltip), when the plan catalog knows it. */
  units?: Record<string, string | null | undefined>;
  /** Legend name per feature code ("API calls (call)"); the code when missing. */
  names?: Record<string, string>;
  /** What one bar is: a UTC day (default), a week (from its Monday) or a month. */
  grain?: UsageGrain;
  /** The previous range's buckets, paired by position with `days`, drawn as dashed lines per feature. */
  previous?: { days: Array<{ date: string; totals: Record<string, number> }>; label: string };
  width?: number;
  height?: number;
}

/**
 * Totals per feature over time, stacked per UTC day (the /usage explorer). Recharts renders its
 * <svg> only after hydration; fixed size and no animation keep it steady.
 */
const AXIS: Record<UsageGrain, string> = { day: "Day (UTC)", week: "Week from (UTC)", month: "Month (UTC)" };

// Made once: toLocaleDateString with options builds a new formatter on every call.
const monthFormat = new Intl.DateTimeFormat("en-US", { month: "short", year: "numeric", timeZone: "UTC" });

function monthLabel(iso: string): string {
  return monthFormat.format(new Date(`${iso}T00:00:00Z`));
}

export function UsageChart({
  features,
  days,
  units = {},
  names = {},
  grain = "day",
  previous,
  width = 1000,
  height = 320,
}: UsageChartProps) {
  const data = days.map((d, i) => ({
    date: d.date,
    ...d.totals,
    ...(previous
      ? Object.fromEntries(features.map((code) => [`prev:${code}`, previous.days[i]?.totals[code] ?? 0]))
      : {}),
  }));
  const tick = grain === "month" ? monthLabel : shortDay;
  // Wide enough for the largest stacked total (weeks and months reach millions).
  const axisWidth = Math.max(72, formatQuantity(Math.max(0, ...days.map((d) => d.total))).length * 8 + 16);
  return (
    <div
      className="usage-chart"
      data-testid="usage-chart"
      role="img"
      aria-label={`Usage per feature per UTC ${grain}, ${days[0]?.date} to ${days.at(-1)?.date}${previous ? `, against the previous range ${previous.label}` : ""}`}
    >
      <ComposedChart width={width} height={height} data={data} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis
          dataKey="date"
          tickFormatter={tick}
          minTickGap={16}
          label={{ value: AXIS[grain], position: "insideBottomRight", offset: -4 }}
          height={40}
        />
        <YAxis tickFormatter={(v: number) => formatQuantity(v)} width={axisWidth} />
        <Tooltip
          isAnimationActive={false}
          labelFormatter={(label) =>
            grain === "day"
              ? `${String(label)} (UTC)`
              : `${grain === "week" ? "Week from" : "Month of"} ${String(label)} (UTC)`
          }
          formatter={(value, name, item) => [
            formatQuantity(Number(value), units[String(item.dataKey).replace(/^prev:/, "")]),
            String(name),
          ]}
        />
        <Legend />
        {features.map((code, i) => (
          <Bar
            key={code}
            dataKey={code}
            name={names[code] ?? code}
            stackId="usage"
            fill={seriesColor(i)}
            isAnimationActive={false}
          />
        ))}
        {previous
          ? features.map((code, i) => (
              <Line
                key={`prev:${code}`}
                type="monotone"
                dataKey={`prev:${code}`}
                name={`${names[code] ?? code} · previous (${previous.label})`}
                stroke={seriesColor(i)}
                strokeDasharray="5 4"
                strokeWidth={2}
                dot={false}
                isAnimationActive={false}
              />
            ))
          : null}
      </ComposedChart>
    </div>
  );
}
