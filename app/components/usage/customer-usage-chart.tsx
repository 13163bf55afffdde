/**
 * The customer usage chart (Recharts, loaded lazily): daily usage per feature from the usage timeline,
 * with the plan's allowance and manual entries marked (docs/decisions/0008-usage-timeline.md).
 */

import {
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ReferenceArea,
  ReferenceDot,
  ReferenceLine,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { formatDate, formatQuantity, shortDay } from "~/contracts/format";

export interface FeatureSeries {
  code: string;
  name: string;
  unit: string | null;
  /** One point per UTC day of the range (zero-filled). */
  series: Array<{ date: string; total: number; events: number }>;
  /** Included in the plan per period; null = no allowance known; unlimited = no line. */
  included: number | null;
  unlimited: boolean;
  /** Commet's live counter for the current period (exact; the chart's running total is by UTC day). */
  current: number | null;
  /** Manual entries of this feature in the range. */
  annotations: Array<{
    usageEventId: string;
    date: string;
    quantity: number;
    staff: string | null;
    kind: "track" | "set";
  }>;
}

/** Current period, exact instants (ISO). Its first and last UTC days are marked; usage is summed from its start. */
export interface PeriodView {
  start: string;
  end: string;
}

/**
 * One feature of a customer: daily usage (bars), the current period's running total (line) against
 * the plan's included amount (reference line), overage shaded above it, period boundaries and the
 * console's manual entries marked. All days are UTC days.
 */
export function CustomerUsageChart({
  feature,
  period,
  width = 860,
  height = 260,
}: {
  feature: FeatureSeries;
  period: PeriodView | null;
  width?: number;
  height?: number;
}) {
  const startDay = period ? formatDate(period.start) : null;
  // The period's end instant is exclusive: its last day is the day before the end instant's day when the end is midnight.
  const endDay = period ? formatDate(Date.parse(period.end) - 1) : null;
  const data: Array<{ date: string; daily: number; events: number; periodToDate: number | null }> = [];
  let running = 0;
  for (const p of feature.series) {
    const inPeriod = startDay !== null && endDay !== null && p.date >= startDay && p.date <= endDay;
    if (inPeriod) running += p.total;
    data.push({ date: p.date, daily: p.total, events: p.events, periodToDate: inPeriod ? running : null });
  }
  const first = data[0]?.date;
  const last = data.at(-1)?.date;
  const inRange = (d: string | null): d is string => d !== null && !!first && !!last && d >= first && d <= last;
  const periodMax = Math.max(0, ...data.map((d) => d.periodToDate ?? 0));
  const included = !feature.unlimited && feature.included !== null ? feature.included : null;
  // Overage from Commet's exact counter when known; the running line is by whole UTC days.
  const periodTotal = feature.current ?? periodMax;
  const overageTop = Math.max(periodMax, periodTotal);
  const overage = included !== null && periodTotal > included;
  const periodDays = data.filter((d) => d.periodToDate !== null).map((d) => d.date);
  const amount = (v: number) => formatQuantity(v, feature.unit);
  const byDate = new Map(data.map((d) => [d.date, d]));

  return (
    <div
      className="usage-chart"
      data-testid={`customer-usage-chart-${feature.code}`}
      role="img"
      aria-label={`${feature.name}: daily usage (UTC days) ${first} to ${last}${
        included !== null ? `, ${amount(included)} included per period` : ""
      }`}
    >
      <ComposedChart width={width} height={height} data={data} margin={{ top: 24, right: 8, bottom: 8, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis
          dataKey="date"
          tickFormatter={shortDay}
          minTickGap={16}
          height={40}
          label={{ value: "Day (UTC)", position: "insideBottomRight", offset: -4 }}
        />
        <YAxis
          yAxisId="period"
          domain={[0, "auto"]}
          tickFormatter={(v: number) => formatQuantity(v)}
          width={80}
          label={{
            value: "Period total",
            angle: -90,
            position: "insideLeft",
            offset: 0,
            fontSize: 11,
            fill: "#5b6573",
          }}
        />
        <YAxis
          yAxisId="daily"
          orientation="right"
          domain={[0, "auto"]}
          tickFormatter={(v: number) => formatQuantity(v)}
          width={72}
          label={{ value: "Per day", angle: 90, position: "insideRight", offset: 0, fontSize: 11, fill: "#5b6573" }}
        />
        <Tooltip
          isAnimationActive={false}
          labelFormatter={(label) => `${String(label)} (UTC)`}
          formatter={(value, name) => [
            value === null || value === undefined ? "—" : amount(Number(value)),
            String(name),
          ]}
        />
        <Legend />
        {overage && periodDays.length > 0 ? (
          <ReferenceArea
            yAxisId="period"
            ifOverflow="extendDomain"
            x1={periodDays[0]}
            x2={periodDays.at(-1)}
            y1={included!}
            y2={overageTop}
            fill="#b91c1c"
            fillOpacity={0.12}
            stroke="none"
            label={{
              value: `Overage ${amount(periodTotal - included!)} this period`,
              position: "insideTopLeft",
              fill: "#a61b1b",
              fontSize: 12,
            }}
          />
        ) : null}
        <Bar yAxisId="daily" dataKey="daily" name="Daily usage" fill="#8fb0e3" isAnimationActive={false} />
        <Line
          yAxisId="period"
          dataKey="periodToDate"
          name="Current period, running total"
          stroke="#b45309"
          strokeWidth={2}
          dot={false}
          connectNulls={false}
          isAnimationActive={false}
        />
        {included !== null ? (
          <ReferenceLine
            yAxisId="period"
            ifOverflow="extendDomain"
            y={included}
            stroke="#047857"
            strokeDasharray="6 3"
            label={{
              value: `Included ${amount(included)}`,
              position: "insideTopRight",
              fill: "#065f46",
              fontSize: 12,
            }}
          />
        ) : null}
        {inRange(startDay) ? (
          <ReferenceLine
            yAxisId="period"
            x={startDay}
            stroke="#5b6573"
            label={{ value: "Period start", position: "top", fontSize: 11, fill: "#5b6573" }}
          />
        ) : null}
        {inRange(endDay) ? (
          <ReferenceLine
            yAxisId="period"
            x={endDay}
            stroke="#5b6573"
            strokeDasharray="2 2"
            label={{ value: "Period end", position: "top", fontSize: 11, fill: "#5b6573" }}
          />
        ) : null}
        {feature.annotations
          .filter((a) => byDate.has(a.date))
          .map((a) => (
            <ReferenceDot
              yAxisId="daily"
              key={a.usageEventId}
              x={a.date}
              y={byDate.get(a.date)!.daily}
              r={6}
              fill="#7c3aed"
              stroke="#ffffff"
              className="usage-annotation"
              label={{
                value: `${a.kind === "set" ? "Correction" : "Manual"} ${a.quantity >= 0 ? "+" : ""}${formatQuantity(a.quantity)}`,
                position: "top",
                fill: "#5b21b6",
                fontSize: 11,
              }}
            />
          ))}
      </ComposedChart>
    </div>
  );
}
