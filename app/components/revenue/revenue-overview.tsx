/**
 * The revenue overview (/revenue): MRR/ARR by plan, MRR movements per month and collections per month,
 * each with its chart and table, the window picker, the CSV export and what the figures assume.
 */
import { Form } from "@remix-run/react";
import { formatCount, formatUtc } from "~/contracts/format";
import { formatMinor } from "~/contracts/money";
import { REVENUE_MONTHS, type RevenueOverview, type RevenueSearch } from "~/contracts/revenue";
import { CollectionsChart, MovementsChart, MrrByPlanChart } from "./revenue-charts";
import "~/styles/revenue.css";

export function RevenueOverviewView({
  overview,
  error,
  search,
  canExport,
  loading,
}: {
  overview: RevenueOverview | null;
  error: string | null;
  search: RevenueSearch;
  canExport: boolean;
  loading: boolean;
}) {
  return (
    <>
      <div className="page-header">
        <h1>Revenue</h1>
        <p className="muted">
          Recurring revenue of active subscriptions, how it moved month by month, and what was collected. Months are UTC
          months.
        </p>
      </div>
      <Form method="get" className="revenue-toolbar" aria-label="Revenue window">
        <label>
          Window
          <select name="months" defaultValue={String(search.months)}>
            {REVENUE_MONTHS.map((m) => (
              <option key={m} value={m}>
                Last {m} months
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="button">
          Show
        </button>
        {canExport && overview ? (
          <a
            className="button button--quiet"
            href={`/revenue/export.csv?months=${search.months}`}
            download
            data-testid="revenue-export"
          >
            Export CSV
          </a>
        ) : null}
      </Form>
      {error ? (
        <p className="error-panel" role="alert" data-testid="revenue-error">
          {error}
        </p>
      ) : null}
      {overview ? (
        <div aria-busy={loading} className={loading ? "is-loading" : undefined} data-testid="revenue-overview">
          <Body overview={overview} />
        </div>
      ) : null}
    </>
  );
}

function Summary({ overview }: { overview: RevenueOverview }) {
  const c = overview.currency;
  const primary = overview.collections[0];
  const cur = primary?.currency ?? c;
  return (
    <div className="revenue-summary" data-testid="revenue-summary">
      <div className="revenue-summary__item">
        <span className="muted">MRR</span>
        <strong data-testid="mrr-total" data-amount={overview.mrr.total}>
          {formatMinor(overview.mrr.total, c)}
        </strong>
        <span className="muted">{formatCount(overview.mrr.subscriptions)} active subscriptions</span>
      </div>
      <div className="revenue-summary__item">
        <span className="muted">ARR</span>
        <strong data-testid="arr-total" data-amount={overview.mrr.arr}>
          {formatMinor(overview.mrr.arr, c)}
        </strong>
        <span className="muted">MRR × 12</span>
      </div>
      {(["collected", "refunded", "failed"] as const).map((k) => (
        <div className="revenue-summary__item" key={k}>
          <span className="muted">{k[0]!.toUpperCase() + k.slice(1)}</span>
          <strong data-testid={`${k}-total`} data-amount={primary?.[k] ?? 0} data-currency={cur}>
            {formatMinor(primary?.[k] ?? 0, cur)}
          </strong>
          <span className="muted">last {overview.search.months} months</span>
        </div>
      ))}
    </div>
  );
}

function Body({ overview }: { overview: RevenueOverview }) {
  const c = overview.currency;
  const { mrr, movements, collections, coverage, errors } = overview;
  const anyMovement = movements.some((m) => m.counts.new + m.counts.expansion + m.counts.contraction + m.counts.churn);
  const incomplete = coverage.statuses.filter((s) => !s.complete);
  return (
    <>
      <Summary overview={overview} />

      <section className="revenue-section" aria-labelledby="revenue-mrr">
        <h2 id="revenue-mrr">MRR by plan</h2>
        {errors.plans ? (
          <p className="error-panel" role="alert" data-testid="revenue-plans-error">
            {errors.plans} Without prices, MRR cannot be computed.
          </p>
        ) : mrr.plans.length === 0 ? (
          <p className="empty-state" data-testid="mrr-empty">
            No active subscriptions in the customer index yet.
          </p>
        ) : (
          <>
            <MrrByPlanChart plans={mrr.plans} currency={c} />
            <table className="mini-table" data-testid="mrr-table">
              <caption className="visually-hidden">MRR and ARR per plan</caption>
              <thead>
                <tr>
                  <th scope="col">Plan</th>
                  <th scope="col">Price interval</th>
                  <th scope="col" className="num">
                    Active subscriptions
                  </th>
                  <th scope="col" className="num">
                    Base MRR
                  </th>
                  <th scope="col" className="num">
                    Extra seats
                  </th>
                  <th scope="col" className="num">
                    Seats MRR
                  </th>
                  <th scope="col" className="num">
                    Expected overage
                    <div className="muted small">estimate</div>
                  </th>
                  <th scope="col" className="num">
                    MRR
                  </th>
                  <th scope="col" className="num">
                    ARR
                  </th>
                </tr>
              </thead>
              <tbody>
                {mrr.plans.map((p) => (
                  <tr key={p.planId} data-plan-id={p.planId}>
                    <th scope="row">
                      {p.planName} <span className="muted">{p.planId}</span>
                    </th>
                    <td>{p.interval ?? "—"}</td>
                    <td className="num">{formatCount(p.subscriptions)}</td>
                    <td className="num">{formatMinor(p.baseMrr, c)}</td>
                    <td className="num">{formatCount(p.extraSeats)}</td>
                    <td className="num">{formatMinor(p.seatsMrr, c)}</td>
                    <td className="num" data-testid="mrr-overage">
                      {formatMinor(p.overageMrr, c)}
                    </td>
                    <td className="num">{formatMinor(p.mrr, c)}</td>
                    <td className="num">{formatMinor(p.arr, c)}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">Total</th>
                  <td />
                  <td className="num">{formatCount(mrr.subscriptions)}</td>
                  <td colSpan={3} />
                  <td className="num" data-testid="mrr-overage-total" data-minor={mrr.overageTotal}>
                    {formatMinor(mrr.overageTotal, c)}
                  </td>
                  <td className="num" data-testid="mrr-table-total" data-minor={mrr.total}>
                    {formatMinor(mrr.total, c)}
                  </td>
                  <td className="num">{formatMinor(mrr.arr, c)}</td>
                </tr>
              </tfoot>
            </table>
            {mrr.unpriced > 0 ? (
              <p className="notice" role="status">
                {formatCount(mrr.unpriced)} active subscriptions are on plans missing from Commet&rsquo;s catalog and
                are counted but not valued.
              </p>
            ) : null}
          </>
        )}
      </section>

      <section className="revenue-section" aria-labelledby="revenue-movements">
        <h2 id="revenue-movements">MRR movements per month</h2>
        {!anyMovement ? (
          <p className="empty-state" data-testid="movements-empty">
            No subscription was activated, changed plan or canceled in this window (as far as the console&rsquo;s stored
            webhooks tell).
          </p>
        ) : (
          <>
            <MovementsChart months={movements} currency={c} />
            <table className="mini-table" data-testid="movements-table">
              <caption className="visually-hidden">MRR movements per month</caption>
              <thead>
                <tr>
                  <th scope="col">Month</th>
                  <th scope="col" className="num">
                    New
                  </th>
                  <th scope="col" className="num">
                    Expansion
                  </th>
                  <th scope="col" className="num">
                    Contraction
                  </th>
                  <th scope="col" className="num">
                    Churn
                  </th>
                  <th scope="col" className="num">
                    Net new MRR
                  </th>
                </tr>
              </thead>
              <tbody>
                {movements.map((m) => (
                  <tr key={m.month}>
                    <th scope="row">{m.month}</th>
                    <td className="num">
                      {formatMinor(m.newMrr, c)} <span className="muted">({m.counts.new})</span>
                    </td>
                    <td className="num">
                      {formatMinor(m.expansion, c)} <span className="muted">({m.counts.expansion})</span>
                    </td>
                    <td className="num">
                      {formatMinor(m.contraction, c)} <span className="muted">({m.counts.contraction})</span>
                    </td>
                    <td className="num">
                      {formatMinor(m.churn, c)} <span className="muted">({m.counts.churn})</span>
                    </td>
                    <td className={`num${m.net < 0 ? " revenue-negative" : ""}`}>{formatMinor(m.net, c)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>

      <section className="revenue-section" aria-labelledby="revenue-collections">
        <h2 id="revenue-collections">Collected, refunded and failed</h2>
        {errors.transactions ? (
          <p className="error-panel" role="alert" data-testid="revenue-transactions-error">
            {errors.transactions}
          </p>
        ) : collections.length === 0 ? (
          <p className="empty-state" data-testid="collections-empty">
            No charges in this window.
          </p>
        ) : (
          collections.map((cur) => (
            <div key={cur.currency} data-testid={`collections-${cur.currency}`}>
              {collections.length > 1 ? <h3>{cur.currency}</h3> : null}
              <CollectionsChart months={cur.months} currency={cur.currency} />
              <table className="mini-table" data-testid="collections-table">
                <caption className="visually-hidden">Charges per month in {cur.currency}</caption>
                <thead>
                  <tr>
                    <th scope="col">Month</th>
                    <th scope="col" className="num">
                      Collected
                    </th>
                    <th scope="col" className="num">
                      Refunded
                    </th>
                    <th scope="col" className="num">
                      Failed
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {cur.months.map((m) => (
                    <tr key={m.month}>
                      <th scope="row">{m.month}</th>
                      <td className="num">{formatMinor(m.collected, cur.currency)}</td>
                      <td className="num">{formatMinor(m.refunded, cur.currency)}</td>
                      <td className="num">{formatMinor(m.failed, cur.currency)}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row">Total</th>
                    <td className="num">{formatMinor(cur.collected, cur.currency)}</td>
                    <td className="num">{formatMinor(cur.refunded, cur.currency)}</td>
                    <td className="num">{formatMinor(cur.failed, cur.currency)}</td>
                  </tr>
                </tfoot>
              </table>
            </div>
          ))
        )}
      </section>

      <section className="revenue-section" aria-labelledby="revenue-assumptions">
        <h2 id="revenue-assumptions">How these figures are made</h2>
        <ul className="muted revenue-notes" data-testid="revenue-assumptions">
          <li>
            MRR counts subscriptions that are <strong>active</strong> in the customer index (trialing, past-due and
            pending ones are left out), at their plan&rsquo;s default price normalised to a month (yearly ÷ 12,
            quarterly ÷ 3, weekly × 52 ÷ 12), plus seats beyond the plan&rsquo;s included seats at its seat price. ARR
            is MRR × 12. Plan prices are in the organization&rsquo;s base currency ({c}).
          </li>
          <li>
            <span data-testid="revenue-overage-assumption">
              Expected overage is an <strong>estimate</strong>: each active customer&rsquo;s usage in its own current
              billing period (counted from its subscription&rsquo;s start at the plan&rsquo;s default interval, from the
              console&rsquo;s usage timeline) beyond the plan&rsquo;s included amount at its overage price, projected to
              the period end at the rate so far, then normalised to a month like the base price. It assumes usage keeps
              its current pace and every period bills like this one.
            </span>{" "}
            Discounts and intro offers are not applied.
          </li>
          <li>
            Movements come from the subscription webhooks the console stored: activated or reactivated = new; a plan
            change = expansion or contraction by the difference of the two plans&rsquo; monthly base prices; canceled =
            churn at its plan&rsquo;s monthly base price. A paid subscription whose activation the console never
            received counts as new in the month of its start date (customer index). Seat changes are not counted as
            movements.
          </li>
          <li data-testid="revenue-coverage">
            Charges are Commet&rsquo;s transactions by the month they were created: up to{" "}
            {formatCount(coverage.perStatusLimit)} per status (succeeded, refunded, failed).{" "}
            {incomplete.length === 0
              ? "Every one of them was read."
              : `Commet has more ${incomplete.map((s) => s.status).join(", ")} transactions than that: older ones are not counted.`}
          </li>
          <li>Computed {formatUtc(overview.generatedAt)} UTC.</li>
        </ul>
      </section>
    </>
  );
}
