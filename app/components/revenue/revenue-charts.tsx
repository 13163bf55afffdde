// The revenue overview's Recharts charts (the house style of the usage charts: fixed size, no animation).

import { Bar, BarChart, CartesianGrid, Legend, ReferenceLine, Tooltip, XAxis, YAxis } from "recharts";
import { seriesColor } from "~/components/usage/palette";
import { formatMinor } from "~/contracts/money";
import type { CollectionMonth, MovementMonth, MrrByPlan } from "~/contracts/revenue";

const margin = { top: 8, right: 16, bottom: 8, left: 16 };
const money = (currency: string) => (v: number) => formatMinor(Number(v), currency);

/** MRR per plan, base, extra seats and expected overage stacked. */
export function MrrByPlanChart({ plans, currency }: { plans: MrrByPlan[]; currency: string }) {
  const data = plans.map((p) => ({ plan: p.planName, base: p.baseMrr, seats: p.seatsMrr, overage: p.overageMrr }));
  return (
    <div
      className="revenue-chart"
      data-testid="mrr-chart"
      role="img"
      aria-label="MRR per plan: base, extra seats and expected overage"
    >
      <BarChart width={720} height={260} data={data} margin={margin}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="plan" />
        <YAxis tickFormatter={money(currency)} width={90} />
        <Tooltip isAnimationActive={false} formatter={(v, name) => [money(currency)(Number(v)), String(name)]} />
        <Legend />
        <Bar dataKey="base" name="Base price" stackId="mrr" fill={seriesColor(0)} isAnimationActive={false} />
        <Bar dataKey="seats" name="Extra seats" stackId="mrr" fill={seriesColor(1)} isAnimationActive={false} />
        <Bar
          dataKey="overage"
          name="Expected overage (estimate)"
          stackId="mrr"
          fill={seriesColor(2)}
          isAnimationActive={false}
        />
      </BarChart>
    </div>
  );
}

/** New and expansion above the axis, contraction and churn below it, per month. */
export function MovementsChart({ months, currency }: { months: MovementMonth[]; currency: string }) {
  const data = months.map((m) => ({
    month: m.month,
    new: m.newMrr,
    expansion: m.expansion,
    contraction: -m.contraction,
    churn: -m.churn,
  }));
  return (
    <div className="revenue-chart" data-testid="movements-chart" role="img" aria-label="MRR movements per month">
      <BarChart width={720} height={260} data={data} margin={margin} stackOffset="sign">
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="month" />
        <YAxis tickFormatter={money(currency)} width={90} />
        <ReferenceLine y={0} stroke="#64748b" />
        <Tooltip isAnimationActive={false} formatter={(v, name) => [money(currency)(Number(v)), String(name)]} />
        <Legend />
        <Bar dataKey="new" name="New" stackId="m" fill={seriesColor(2)} isAnimationActive={false} />
        <Bar dataKey="expansion" name="Expansion" stackId="m" fill={seriesColor(0)} isAnimationActive={false} />
        <Bar dataKey="contraction" name="Contraction" stackId="m" fill={seriesColor(1)} isAnimationActive={false} />
        <Bar dataKey="churn" name="Churn" stackId="m" fill={seriesColor(4)} isAnimationActive={false} />
      </BarChart>
    </div>
  );
}

/** Collected, refunded and failed charges per month, side by side. */
export function CollectionsChart({ months, currency }: { months: CollectionMonth[]; currency: string }) {
  return (
    <div className="revenue-chart" data-testid="collections-chart" role="img" aria-label="Charges per month">
      <BarChart width={720} height={260} data={months} margin={margin}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="month" />
        <YAxis tickFormatter={money(currency)} width={90} />
        <Tooltip isAnimationActive={false} formatter={(v, name) => [money(currency)(Number(v)), String(name)]} />
        <Legend />
        <Bar dataKey="collected" name="Collected" fill={seriesColor(2)} isAnimationActive={false} />
        <Bar dataKey="refunded" name="Refunded" fill={seriesColor(1)} isAnimationActive={false} />
        <Bar dataKey="failed" name="Failed" fill={seriesColor(4)} isAnimationActive={false} />
      </BarChart>
    </div>
  );
}
