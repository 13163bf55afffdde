// The console's frame: the section nav (filtered by the reader's role), the signed-in person and sign-out.

import { Form, NavLink, useNavigation } from "@remix-run/react";
import type { ReactNode } from "react";
import type { Permission } from "~/contracts/permissions";
import type { ShellInfo, ShellStaff } from "~/contracts/shell";
import { CommandPalette } from "./command-palette";
import { ModeBanner } from "./mode-banner";

/**
 * Sections that exist, each with the permission its loader requires (the server enforces it; the nav
 * only hides what the role may not open). Later screens add themselves here when their route lands.
 */
const sections: Array<{ to: string; label: string; end?: boolean; permission: Permission }> = [
  { to: "/", label: "Overview", end: true, permission: "customers:read" },
  { to: "/customers", label: "Customers", permission: "customers:read" },
  { to: "/subscriptions", label: "Subscriptions", permission: "customers:read" },
  { to: "/payments", label: "Payments", permission: "customers:read" },
  { to: "/invoices", label: "Invoices", permission: "customers:read" },
  { to: "/usage", label: "Usage", end: true, permission: "usage:explore" },
  { to: "/usage/periods", label: "Billing periods", permission: "usage:explore" },
  { to: "/usage/reconciliation", label: "Reconciliation", permission: "usage:explore" },
  { to: "/revenue", label: "Revenue", permission: "revenue:read" },
  { to: "/bulk", label: "Bulk changes", permission: "bulk:apply" },
  { to: "/approvals", label: "Approvals", permission: "approvals:review" },
  { to: "/audit", label: "Audit trail", permission: "audit:read" },
  { to: "/admin/staff", label: "Staff", permission: "staff:manage" },
  { to: "/admin/approvals", label: "Approval policy", permission: "approvals:policy" },
];

export function AppShell({
  shell,
  staff,
  children,
}: {
  shell: ShellInfo | null;
  staff: ShellStaff;
  children: ReactNode;
}) {
  const navigation = useNavigation();
  const busy = navigation.state !== "idle";
  const visible = sections.filter((section) => staff.permissions.includes(section.permission));
  const unsettled = staff.unsettledWrites;
  const attention = unsettled?.all ? unsettled.all.attention : (unsettled?.mineAttention ?? 0);
  const count = unsettled?.all ? unsettled.all.total : (unsettled?.mine ?? 0);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="topbar__product">Commet Ops Console</span>
        {shell ? <ModeBanner livemode={shell.livemode} /> : null}
        {shell ? <span className="topbar__target">Commet: {shell.commetTarget}</span> : null}
        {staff.permissions.includes("customers:read") ? <CommandPalette /> : null}
        <div className="topbar__staff" data-testid="signed-in-staff">
          <span className="topbar__who" title={staff.email}>
            {staff.name} <span className="role-badge">{staff.role}</span>
          </span>
          <Form method="post" action="/logout" className="topbar__signout">
            <button type="submit" className="button button--topbar">
              Sign out
            </button>
          </Form>
        </div>
      </header>
      <div className={busy ? "progress progress--active" : "progress"} role="presentation" />
      <nav className="sidenav" aria-label="Sections">
        <ul>
          {visible.map((section) => (
            <li key={section.to}>
              <NavLink to={section.to} end={section.end} prefetch="intent">
                {section.label}
                {section.to === "/approvals" && staff.approvalsWaiting ? (
                  <span
                    className="nav-count"
                    data-testid="approvals-count"
                    aria-label={`${staff.approvalsWaiting} waiting`}
                  >
                    {staff.approvalsWaiting}
                  </span>
                ) : null}
              </NavLink>
            </li>
          ))}
          {staff.permissions.includes("audit:read") ? (
            <li>
              {/* Admins see everyone's unsettled writes there (and their count); others their own. */}
              <NavLink to="/writes/mine" prefetch="intent" data-testid="nav-unsettled">
                {unsettled?.all ? "Unsettled writes" : "My unsettled"}
                {count ? <span className={attention ? "nav-count nav-count--alert" : "nav-count"}>{count}</span> : null}
              </NavLink>
            </li>
          ) : null}
        </ul>
      </nav>
      <main id="main" className="content" aria-busy={busy}>
        {attention ? (
          <p className="notice notice--bad unsettled-banner" role="alert" data-testid="unsettled-alert">
            {attention === 1 ? "A write is" : `${attention} writes are`} still unconfirmed by Commet after 12 hours.
            Settle {attention === 1 ? "it" : "them"} before Commet&apos;s 24-hour idempotency window closes:{" "}
            <NavLink to="/writes/mine">review</NavLink>.
          </p>
        ) : null}
        {children}
      </main>
    </div>
  );
}

/** The frame of pages seen signed out (sign-in, errors before sign-in): product name, no nav. */
export function PublicShell({ children }: { children: ReactNode }) {
  return (
    <div className="public-shell">
      <header className="topbar">
        <span className="topbar__product">Commet Ops Console</span>
      </header>
      <main id="main" className="public-shell__main">
        {children}
      </main>
    </div>
  );
}
