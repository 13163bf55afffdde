import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireStaff } from "../../server/auth/index.ts";
import { listCustomers, listPlans, noteLivemode } from "../../server/commet/index.ts";
import { CustomersTable } from "~/components/customers-table";
import { PlanCard } from "~/components/plan-card";
import { RouteErrorBoundary } from "~/components/route-error";

export const meta: MetaFunction = () => [{ title: "Overview · Commet Ops Console" }];

const OVERVIEW_CUSTOMERS = 10;

export async function loader({ request }: LoaderFunctionArgs) {
  await requireStaff(request, "customers:read");
  const [plans, page] = await Promise.all([listPlans(), listCustomers({ limit: OVERVIEW_CUSTOMERS })]);
  const seen = plans[0] ?? page.customers[0];
  if (seen) noteLivemode(seen.livemode);
  return { plans, customers: page.customers, hasMoreCustomers: page.hasMore };
}

export default function Overview() {
  const { plans, customers, hasMoreCustomers } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-header">
        <h1>Overview</h1>
        <p className="muted">The organization&rsquo;s catalog and newest customers, read live from Commet.</p>
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
          <h2 id="customers-title">Customers</h2>
          {customers.length > 0 ? (
            <Link to="/customers">{hasMoreCustomers ? "All customers →" : "Open the customers table →"}</Link>
          ) : null}
        </div>
        {customers.length > 0 ? (
          <CustomersTable customers={customers} caption={`First ${customers.length} customers`} />
        ) : (
          <p className="empty-state">No customers yet. Customers created through Commet appear here.</p>
        )}
      </section>
    </>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
