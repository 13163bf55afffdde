// / — the overview: the plan catalog and the newest customers.

import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireStaff } from "../../server/auth/index.ts";
import { loadOverview } from "../../server/overview/index.ts";
import { CustomersTable } from "~/components/customers-table";
import { PlanCard } from "~/components/plan-card";
import { RouteErrorBoundary } from "~/components/route-error";

export const meta: MetaFunction = () => [{ title: "Overview · Commet Ops Console" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireStaff(request, "customers:read");
  return loadOverview();
}

export default function Overview() {
  const { plans, customers, hasMoreCustomers } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-header">
        <h1>Overview</h1>
        <p className="muted">
          The organization&rsquo;s catalog, read live from Commet, and its newest customers, from the customer index.
        </p>
      </div>

      <section aria-labelledby="plans-title" className="section">
        <h2 id="plans-title">
          Plans <span className="count">{plans.length}</span>
        </h2>
        {plans.length > 0 ? (
          <div className="plan-grid">
            {plans.map((plan) => (
              <PlanCard key={plan.id} plan={plan} />
            ))}
          </div>
        ) : (
          <p className="empty-state">No plans yet. Plans created in Commet appear here.</p>
        )}
      </section>

      <section aria-labelledby="customers-title" className="section">
        <div className="section__header">
          <h2 id="customers-title">Newest customers</h2>
          {customers.length > 0 ? (
            <Link to="/customers">{hasMoreCustomers ? "All customers →" : "Open the customers table →"}</Link>
          ) : null}
        </div>
        {customers.length > 0 ? (
          <CustomersTable customers={customers} caption={`The ${customers.length} newest customers`} />
        ) : (
          <p className="empty-state">No customers yet. Customers created through Commet appear here.</p>
        )}
      </section>
    </>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
