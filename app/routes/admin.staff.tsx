// /admin/staff — staff accounts (admin only): create, change role, deactivate, reactivate, reset password.

import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import { useEffect, useRef } from "react";
import { listStaff, requireStaff, type StaffMember } from "../../server/auth/index.ts";
import { runStaffIntent } from "../../server/auth/staff-admin.ts";
import { DataTable } from "~/components/data-table";
import { TextField } from "~/components/form-field";
import { RouteErrorBoundary } from "~/components/route-error";
import { formatUtc } from "~/contracts/format";
import { ROLES, type Role } from "~/contracts/permissions";
import { invalidStaffForm, staffIntentSchema } from "~/contracts/staff-admin";
import { readFormData } from "~/lib/form-body.server";

export const meta: MetaFunction = () => [{ title: "Staff · Commet Ops Console" }];

const ROLE_HELP: Record<Role, string> = {
  support: "Read all customer data, issue portal links",
  ops: "Support + change seats, record and set usage",
  finance: "Read all, usage explorer, CSV export",
  admin: "Everything + manage staff",
};

/** staff:manage (admin) — every account, active or not. */
export async function loader({ request }: LoaderFunctionArgs) {
  const me = await requireStaff(request, "staff:manage");
  const staff = await listStaff();
  return { staff, meId: me.id, roles: ROLES.map((role) => ({ role, help: ROLE_HELP[role] })) };
}

/** staff:manage (admin). Intents: create (password generated when left empty, shown once), change-role,
 * deactivate (its sessions end at once), reactivate, reset-password (generated, shown once; sessions end). */
export async function action({ request }: ActionFunctionArgs) {
  const me = await requireStaff(request, "staff:manage");
  const form = Object.fromEntries(await readFormData(request));
  const parsed = staffIntentSchema.safeParse(form);
  if (!parsed.success) return data(invalidStaffForm(form, parsed.error), { status: 400 });
  const { status, result } = await runStaffIntent({ id: me.id, email: me.email, role: me.role }, parsed.data);
  return data(result, { status });
}

const utc = (ms: number | null) => (ms === null ? "—" : formatUtc(ms));

const features = tableFeatures({});
const column = createColumnHelper<typeof features, StaffMember>();

type RoleOption = { role: Role; help: string };

function RoleForm({ member, self, roles }: { member: StaffMember; self: boolean; roles: RoleOption[] }) {
  return (
    <Form method="post" className="inline-form">
      <input type="hidden" name="staffId" value={member.id} />
      <label className="visually-hidden" htmlFor={`role-${member.id}`}>
        Role of {member.email}
      </label>
      <select id={`role-${member.id}`} name="role" defaultValue={member.role} disabled={!member.active || self}>
        {roles.map(({ role }) => (
          <option key={role} value={role}>
            {role}
          </option>
        ))}
      </select>
      {member.active && !self ? (
        <button type="submit" name="intent" value="change-role" className="button button--quiet button--small">
          Save role
        </button>
      ) : null}
    </Form>
  );
}

function AccountActions({ member, self }: { member: StaffMember; self: boolean }) {
  if (self) return <span className="muted">You</span>;
  return (
    <div className="row-actions">
      {member.active ? (
        <details className="confirm">
          <summary className="button button--danger button--small">Deactivate…</summary>
          <div className="confirm__panel" role="group" aria-label={`Deactivate ${member.email}`}>
            <p>{member.email} will be signed out everywhere at once and cannot sign in until reactivated.</p>
            <Form method="post">
              <input type="hidden" name="staffId" value={member.id} />
              <button type="submit" name="intent" value="deactivate" className="button button--danger button--small">
                Deactivate {member.name}
              </button>
            </Form>
          </div>
        </details>
      ) : (
        <Form method="post">
          <input type="hidden" name="staffId" value={member.id} />
          <button type="submit" name="intent" value="reactivate" className="button button--quiet button--small">
            Reactivate
          </button>
        </Form>
      )}
      {member.active ? (
        <details className="confirm">
          <summary className="button button--quiet button--small">Reset password…</summary>
          <div className="confirm__panel" role="group" aria-label={`Reset the password of ${member.email}`}>
            <p>A new password is generated and shown once; {member.email} is signed out everywhere.</p>
            <Form method="post">
              <input type="hidden" name="staffId" value={member.id} />
              <button type="submit" name="intent" value="reset-password" className="button button--small">
                Generate a new password
              </button>
            </Form>
          </div>
        </details>
      ) : null}
    </div>
  );
}

export default function StaffAdmin() {
  const { staff, meId, roles } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const creating = navigation.state === "submitting" && navigation.formData?.get("intent") === "create";
  const createForm = useRef<HTMLFormElement>(null);
  const createErrors = result?.intent === "create" && !result.ok ? result.fieldErrors : undefined;

  useEffect(() => {
    if (result?.intent === "create" && result.ok) createForm.current?.reset();
  }, [result]);

  const columns = column.columns([
    column.accessor("name", {
      header: "Name",
      cell: (info) => (
        <>
          {info.getValue()}
          <div className="muted">{info.row.original.email}</div>
        </>
      ),
    }),
    column.accessor("role", {
      header: "Role",
      cell: (info) => <RoleForm member={info.row.original} self={info.row.original.id === meId} roles={roles} />,
    }),
    column.accessor("active", {
      header: "Status",
      cell: (info) =>
        info.getValue() ? (
          <span className="staff-status staff-status--active">Active</span>
        ) : (
          <span className="staff-status staff-status--inactive">Deactivated</span>
        ),
    }),
    column.accessor("lastSignInAt", { header: "Last sign-in", cell: (info) => utc(info.getValue()) }),
    column.accessor("createdAt", { header: "Created", cell: (info) => utc(info.getValue()) }),
    column.display({
      id: "actions",
      header: () => <span className="visually-hidden">Actions</span>,
      cell: (info) => <AccountActions member={info.row.original} self={info.row.original.id === meId} />,
    }),
  ]);
  const table = useTable({ features, columns, data: staff, getRowId: (row) => row.id });

  return (
    <>
      <div className="page-header">
        <h1>Staff</h1>
        <p className="muted">Who may use the console, and as what. Every change here is recorded in the audit trail.</p>
      </div>

      {result && result.intent !== "create" ? (
        <p
          className={result.ok ? "notice" : "form-alert"}
          role={result.ok ? "status" : "alert"}
          data-testid="staff-result"
        >
          {result.message}
        </p>
      ) : null}
      {result?.oneTimePassword ? (
        <div className="one-time-secret" role="status" data-testid="one-time-password">
          <strong>Password for {result.oneTimePassword.email}:</strong> <code>{result.oneTimePassword.password}</code>
          <p className="muted">Shown once — hand it over now. It is not stored anywhere in readable form.</p>
        </div>
      ) : null}

      <section className="section" aria-labelledby="staff-list-title">
        <h2 id="staff-list-title">
          Accounts <span className="count">{staff.length}</span>
        </h2>
        <DataTable
          table={table}
          caption="Staff accounts"
          testId="staff-table"
          rowProps={(member) => ({ "data-email": member.email, "data-active": String(member.active) })}
          empty="No staff accounts yet."
        />
      </section>

      <section className="section panel-card" aria-labelledby="invite-title">
        <h2 id="invite-title">Add a staff member</h2>
        {result?.intent === "create" ? (
          <p
            className={result.ok ? "notice" : "form-alert"}
            role={result.ok ? "status" : "alert"}
            data-testid="create-result"
          >
            {result.message}
          </p>
        ) : null}
        <Form method="post" className="grid-form" ref={createForm} noValidate>
          <input type="hidden" name="intent" value="create" />
          <TextField id="new-name" label="Name" name="name" autoComplete="off" required errors={createErrors?.name} />
          <TextField
            id="new-email"
            label="Email"
            name="email"
            type="email"
            autoComplete="off"
            required
            errors={createErrors?.email}
          />
          <div className="field">
            <label htmlFor="new-role">Role</label>
            <select id="new-role" name="role" defaultValue="support" aria-describedby="new-role-hint">
              {roles.map(({ role, help }) => (
                <option key={role} value={role}>
                  {role} — {help}
                </option>
              ))}
            </select>
            <p className="field-hint" id="new-role-hint">
              The server checks the role on every page and action.
            </p>
            {createErrors?.role ? <p className="field-error">{createErrors.role[0]}</p> : null}
          </div>
          <TextField
            id="new-password"
            label="Password (optional)"
            name="password"
            type="password"
            autoComplete="new-password"
            hint="Leave empty to generate one, shown once. At least 12 characters."
            errors={createErrors?.password}
          />
          <div className="grid-form__submit">
            <button type="submit" className="button" disabled={creating}>
              {creating ? "Adding…" : "Add staff member"}
            </button>
          </div>
        </Form>
      </section>
    </>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
