/**
 * The customer page's "Projected next invoice": an estimate of the renewal invoice (base, seats beyond
 * included, overage so far and projected to the period end) with the assumptions it rests on.
 */

import type { PanelResult } from "~/contracts/customer-view";
import type { EstimateLine, ProjectedInvoicePanel as PanelData } from "~/contracts/estimate";
import { formatCount, formatDate, formatInterval, formatQuantity } from "~/contracts/format";
import { formatMinor, formatRate } from "~/contracts/money";
import { Panel } from "./panel";
import "~/styles/estimate.css";

function unitText(line: EstimateLine, currency: string): string {
  if (line.unitRate === null || line.quantity === null) return "";
  return `× ${formatRate(line.unitRate, currency)}`;
}

function quantityText(value: number | null): string {
  return value === null ? "" : formatCount(value);
}

export function ProjectedInvoicePanel({ resolve }: { resolve: Promise<PanelResult<PanelData>> }) {
  return (
    <Panel
      title="Projected next invoice"
      name="projected-invoice"
      resolve={resolve}
      skeletonRows={4}
      className="panel--wide"
    >
      {(data) =>
        data.kind === "none" ? (
          <p className="muted" data-testid="projected-none">
            {data.reason}
          </p>
        ) : (
          <EstimateContent estimate={data.estimate} />
        )
      }
    </Panel>
  );
}

function EstimateContent({ estimate: e }: { estimate: Extract<PanelData, { kind: "estimate" }>["estimate"] }) {
  const money = (minor: number) => formatMinor(minor, e.currency);
  return (
    <div className="estimate" data-testid="projected-invoice">
      <p className="estimate__summary">
        <span className="badge">Estimate</span>{" "}
        <span>
          Renewal invoice on <time dateTime={e.period.end}>{formatDate(e.period.end)}</time>, closing the period{" "}
          <time dateTime={e.period.start}>{formatDate(e.period.start)}</time> →{" "}
          <time dateTime={e.period.end}>{formatDate(e.period.end)}</time> ({e.period.elapsedDays} of {e.period.days}{" "}
          days elapsed)
          {e.interval ? `, billed every ${formatInterval(e.interval)}` : ""}
          {e.nextPlanName ? `; moves from ${e.planName} to ${e.nextPlanName} at the period end` : ""}.
        </span>
      </p>
      <div className="estimate__totals">
        <div>
          <span className="estimate__label">So far</span>
          <strong data-testid="estimate-so-far">{money(e.totalSoFar)}</strong>
        </div>
        <div>
          <span className="estimate__label">Projected at period end</span>
          <strong className="estimate__projected" data-testid="estimate-projected">
            {money(e.totalProjected)}
          </strong>
        </div>
      </div>
      <div className="table-scroll" role="region" aria-label="Projected invoice lines" tabIndex={0}>
        <table className="mini-table estimate-table" data-testid="estimate-lines">
          <caption className="visually-hidden">Estimated lines of the next invoice, in {e.currency}</caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col" className="num">
                Extra units so far
              </th>
              <th scope="col" className="num">
                Extra units projected
              </th>
              <th scope="col">Unit price</th>
              <th scope="col" className="num">
                So far
              </th>
              <th scope="col" className="num">
                Projected
              </th>
            </tr>
          </thead>
          <tbody>
            {e.lines.map((line) => (
              <tr
                key={`${line.kind}:${line.featureCode ?? ""}`}
                data-line={line.kind}
                className={`estimate-line--${line.kind}`}
              >
                <th scope="row">
                  {line.label}
                  {line.usage ? (
                    <span className="estimate-line__usage muted">
                      {formatQuantity(line.usage.used, line.usage.unitName)} used so far ·{" "}
                      {formatQuantity(line.usage.projectedUsed, line.usage.unitName)} projected
                    </span>
                  ) : null}
                </th>
                <td className="num">{quantityText(line.quantity)}</td>
                <td className="num">{quantityText(line.projectedQuantity)}</td>
                <td className="muted">{line.kind === "base" ? "" : unitText(line, e.currency)}</td>
                <td className="num">{money(line.soFar)}</td>
                <td className="num">{money(line.projected)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">Total (before tax)</th>
              <td colSpan={3} />
              <td className="num">
                <strong>{money(e.totalSoFar)}</strong>
              </td>
              <td className="num">
                <strong>{money(e.totalProjected)}</strong>
              </td>
            </tr>
          </tfoot>
        </table>
      </div>
      <details className="estimate__assumptions" open>
        <summary>Assumptions</summary>
        <ul>
          {e.assumptions.map((a) => (
            <li key={a}>{a}</li>
          ))}
        </ul>
      </details>
    </div>
  );
}
