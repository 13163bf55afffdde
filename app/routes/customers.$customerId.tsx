// /customers/:customerId — the customer page: every panel streams in on its own.

import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Await, Link, useLoaderData, type ShouldRevalidateFunction } from "@remix-run/react";
import { Suspense } from "react";
import { requireStaff } from "../../server/auth/index.ts";
import { loadCustomerPage } from "../../server/customer-view/page.ts";
import { ActivityPanel } from "~/components/customer/activity-panel";
import { InvoicesPanel } from "~/components/customer/invoices-panel";
import { PaymentsPanel } from "~/components/customer/payments-panel";
import { PortalLinkCard } from "~/components/customer/portal-link";
import { ProfilePanel } from "~/components/customer/profile-panel";
import { ProjectedInvoicePanel } from "~/components/customer/projected-invoice-panel";
import { SeatChangeSection } from "~/components/customer/seat-change-form";
import { StaffActionsPanel } from "~/components/customer/staff-actions-panel";
import { SubscriptionActionsPanel } from "~/components/customer/subscription-actions";
import { CreditsPanel, HistoryPanel, SubscriptionPanel } from "~/components/customer/subscription-panel";
import { UsageFormsSection } from "~/components/customer/usage-forms";
import { FeaturesPanel, QuotaPanel, SeatsPanel } from "~/components/customer/usage-panels";
import { RouteErrorBoundary } from "~/components/route-error";
import { AwaitingConfirmationNotice } from "~/components/writes/unsettled-writes";
import { CustomerUsagePanel } from "~/components/usage/customer-usage-panel";
import { parseActivityFilter } from "~/contracts/activity";
import { parseCustomerRef } from "~/contracts/customer-ref";

export const meta: MetaFunction<typeof loader> = ({ params }) => [
  { title: `Customer ${params.customerId ?? ""} · Commet Ops Console` },
];

/**
 * Customer page: every Commet call starts at once (server/customer-view); each panel streams in on
 * its own and a failing call becomes that panel's error card. Only an unknown customer fails the
 * whole page (404).
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "customers:read");
  const customerRef = parseCustomerRef(params.customerId);
  if (!customerRef) throw data(null, { status: 404 });
  const activityKind = parseActivityFilter(new URL(request.url).searchParams);
  const { notFound, page } = await loadCustomerPage(customerRef, staff.role, { activityKind, staffId: staff.id });
  if (notFound) throw data(notFound, { status: 404 });
  return page;
}

/** Issuing a portal link, opening an invoice or asking for a quote does not change what the panels show: no reload. */
export const shouldRevalidate: ShouldRevalidateFunction = ({
  currentUrl,
  nextUrl,
  formAction,
  formData,
  defaultShouldRevalidate,
}) => {
  if (formAction && /\/portal$/.test(formAction)) return false;
  // A recovery link changes nothing the page shows (and is held by the panel until dismissed).
  if (formAction && /\/recovery$/.test(formAction)) return false;
  // Resending an invoice changes nothing the panels show.
  if (formAction && /\/invoices\/[^/]+\/send$/.test(formAction)) return false;
  // A new activity filter is fetched by the Activity panel itself: the other panels stay as they are.
  if (!formAction && currentUrl.pathname === nextUrl.pathname && onlyActivityChanged(currentUrl, nextUrl)) return false;
  // A seat change preview and a plan change quote write nothing.
  if (formAction && /\/seats$/.test(formAction) && formData?.get("intent") === "preview") return false;
  if (formAction && /\/subscription$/.test(formAction) && formData?.get("intent") === "preview-plan") return false;
  return defaultShouldRevalidate;
};

function onlyActivityChanged(a: URL, b: URL): boolean {
  const rest = (url: URL) => {
    const params = new URLSearchParams(url.search);
    params.delete("activity");
    params.sort();
    return params.toString();
  };
  return rest(a) === rest(b) && a.searchParams.get("activity") !== b.searchParams.get("activity");
}

export default function CustomerPage() {
  const d = useLoaderData<typeof loader>();
  const { seatForm, usageForm } = d;
  const auditHref = d.canReadAudit ? `/audit?customer=${encodeURIComponent(d.customerRef)}` : null;
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/customers">Customers</Link> <span aria-hidden="true">/</span>
      </nav>
      <div className="page-header">
        <h1 data-testid="customer-title">
          {/* Boundaries hold an element, not bare text: streamed in, bare text merges with its neighbours
              and the browser's DOM no longer matches what React hydrates. */}
          <Suspense fallback={<span>{d.customerRef}</span>}>
            <Await resolve={d.profile} errorElement={<span>{d.customerRef}</span>}>
              {(p) => <span>{p.ok ? (p.data.fullName ?? p.data.email) : d.customerRef}</span>}
            </Await>
          </Suspense>
        </h1>
        <p className="muted">
          <Suspense fallback={<span>Reading live from Commet…</span>}>
            <Await resolve={d.profile} errorElement={<span>Read live from Commet.</span>}>
              {(p) =>
                p.ok ? (
                  <span>
                    {p.data.email}
                    {p.data.externalId ? (
                      <>
                        {" "}
                        · <code>{p.data.externalId}</code>
                      </>
                    ) : null}{" "}
                    · read live from Commet
                  </span>
                ) : (
                  <span>Read live from Commet.</span>
                )
              }
            </Await>
          </Suspense>
        </p>
      </div>

      <AwaitingConfirmationNotice customerRef={d.customerRef} resolve={d.unsettledWrites} />
      <div className="panel-grid">
        <ProfilePanel resolve={d.profile} />
        <SubscriptionPanel resolve={d.subscription} />
        <CreditsPanel resolve={d.subscription} />
        {d.subscriptionActions ? (
          <SubscriptionActionsPanel
            customerRef={d.customerRef}
            resolve={d.subscriptionActions.resolve}
            may={d.subscriptionActions.may}
            keys={d.subscriptionActions.keys}
          />
        ) : null}
        <FeaturesPanel
          resolve={d.features}
          footer={
            usageForm
              ? () => (
                  <UsageFormsSection
                    customerRef={d.customerRef}
                    resolve={usageForm.resolve}
                    initialKeys={usageForm.keys}
                  />
                )
              : undefined
          }
        />
        <SeatsPanel
          resolve={d.seats}
          footer={
            seatForm
              ? () => (
                  <SeatChangeSection customerRef={d.customerRef} resolve={seatForm.resolve} initialKey={seatForm.key} />
                )
              : undefined
          }
        />
        <QuotaPanel resolve={d.quota} />
        {d.canIssuePortal ? <PortalLinkCard customerRef={d.customerRef} /> : null}
        <ProjectedInvoicePanel resolve={d.projectedInvoice} />
        <InvoicesPanel customerRef={d.customerRef} resolve={d.invoices} canSend={d.canSendInvoices} now={d.now} />
        <PaymentsPanel
          customerRef={d.customerRef}
          resolve={d.payments.resolve}
          can={d.payments.can}
          keys={d.payments.keys}
        />
        <HistoryPanel resolve={d.history} />
        <StaffActionsPanel resolve={d.staffActions} auditHref={auditHref} />
      </div>
      <ActivityPanel customerRef={d.customerRef} resolve={d.activity} renderedKind={d.activityKind} />
      <CustomerUsagePanel customerRef={d.customerRef} />
    </>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
