/**
 * A tiny trend line of daily totals (the top customers table). Plain SVG so it renders on the
 * server too and costs nothing per row; the full numbers are in the row and the label.
 */
export function Sparkline({
  values,
  width = 120,
  height = 28,
  label,
}: {
  values: number[];
  width?: number;
  height?: number;
  label: string;
}) {
  const max = Math.max(...values, 0);
  const step = values.length > 1 ? (width - 2) / (values.length - 1) : 0;
  const y = (v: number) => (max > 0 ? height - 2 - (v / max) * (height - 4) : height - 2);
  const points = values.map((v, i) => `${(1 + i * step).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
    >
      <line x1={1} x2={width - 1} y1={height - 2} y2={height - 2} stroke="var(--border)" />
      {values.length > 0 ? <polyline points={points} fill="none" stroke="var(--accent)" strokeWidth={1.5} /> : null}
    </svg>
  );
}
