import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import { useEffect, useRef } from "react";
import { z } from "zod";
import {
  changeStaffRole,
  createStaff,
  deactivateStaff,
  listStaff,
  reactivateStaff,
  requireStaff,
  resetStaffPassword,
  ROLES,
  StaffError,
  type Role,
  type StaffMember,
} from "../../server/auth/index.ts";
import { DataTable } from "~/components/data-table";
import { TextField } from "~/components/form-field";
import { RouteErrorBoundary } from "~/components/route-error";

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

const roleSchema = z.enum(ROLES, { error: "Choose a role" });
const staffId = z.string().trim().min(1, "No account chosen").max(100);
const intentSchema = z.discriminatedUnion("intent", [
  z.object({
    intent: z.literal("create"),
    email: z.string().max(254),
    name: z.string().max(100),
    role: roleSchema,
    password: z
      .string()
      .max(1024)
      .transform((v) => v || undefined)
      .optional(),
  }),
  z.object({ intent: z.literal("change-role"), staffId, role: roleSchema }),
  z.object({ intent: z.literal("deactivate"), staffId }),
  z.object({ intent: z.literal("reactivate"), staffId }),
  z.object({ intent: z.literal("reset-password"), staffId }),
]);

type ActionData = {
  intent: string;
  staffId?: string;
  message: string;
  ok: boolean;
  fieldErrors?: Record<string, string[] | undefined>;
  /** Shown once, to hand over to the person; never stored or logged. */
  oneTimePassword?: { email: string; password: string };
};

/**
 * staff:manage (admin). Intents: create (invite; password generated when left empty, shown once),
 * change-role, deactivate (its sessions end at once), reactivate, reset-password (generated, shown
 * once; sessions end). Every change is audited by server/auth.
 */
export async function action({ request }: ActionFunctionArgs) {
  const me = await requireStaff(request, "staff:manage");
  const actor = { id: me.id, email: me.email, role: me.role };
  const form = Object.fromEntries(await request.formData());
  const parsed = intentSchema.safeParse(form);
  if (!parsed.success) {
    return data<ActionData>(
      {
        intent: String(form.intent ?? ""),
        ok: false,
        message: "Check the highlighted fields.",
        fieldErrors: z.flattenError(parsed.error).fieldErrors,
      },
      { status: 400 },
    );
  }
  const input = parsed.data;
  try {
    switch (input.intent) {
      case "create": {
        const { staff, generatedPassword } = await createStaff(actor, input);
        return data<ActionData>({
          intent: input.intent,
          staffId: staff.id,
          ok: true,
          message: `Created ${staff.email} (${staff.role}).`,
          oneTimePassword: generatedPassword ? { email: staff.email, password: generatedPassword } : undefined,
        });
      }
      case "change-role": {
        const staff = await changeStaffRole(actor, input.staffId, input.role);
        return data<ActionData>({
          intent: input.intent,
          staffId: staff.id,
          ok: true,
          message: `${staff.email} is now ${staff.role}.`,
        });
      }
      case "deactivate": {
        const staff = await deactivateStaff(actor, input.staffId);
        return data<ActionData>({
          intent: input.intent,
          staffId: staff.id,
          ok: true,
          message: `Deactivated ${staff.email}; their sessions have ended.`,
        });
      }
      case "reactivate": {
        const staff = await reactivateStaff(actor, input.staffId);
        return data<ActionData>({
          intent: input.intent,
          staffId: staff.id,
          ok: true,
          message: `Reactivated ${staff.email}.`,
        });
      }
      case "reset-password": {
        const { staff, generatedPassword } = await resetStaffPassword(actor, input.staffId);
        return data<ActionData>({
          intent: input.intent,
          staffId: staff.id,
          ok: true,
          message: `New password for ${staff.email}; their sessions have ended.`,
          oneTimePassword: generatedPassword ? { email: staff.email, password: generatedPassword } : undefined,
        });
      }
    }
  } catch (error) {
    // By name, not instanceof: the auth service may come from the server entry's copy of the module.
    if (error instanceof z.ZodError || (error instanceof Error && error.name === "ZodError")) {
      return data<ActionData>(
        {
          intent: input.intent,
          ok: false,
          message: "Check the highlighted fields.",
          fieldErrors: z.flattenError(error as z.ZodError).fieldErrors,
        },
        { status: 400 },
      );
    }
    if (error instanceof StaffError || (error instanceof Error && error.name === "StaffError" && "code" in error)) {
      const code = (error as StaffError).code;
      const status = code === "not_found" ? 404 : code === "email_taken" ? 409 : 400;
      const fieldErrors = code === "email_taken" ? { email: [error.message] } : undefined;
      return data<ActionData>(
        {
          intent: input.intent,
          staffId: "staffId" in input ? input.staffId : undefined,
          ok: false,
          message: error.message,
          fieldErrors,
        },
        { status },
      );
    }
    throw error;
  }
}

const utc = (ms: number | null) => (ms === null ? "—" : new Date(ms).toISOString().replace("T", " ").slice(0, 16));

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
    column.accessor("lastSignInAt", { header: "Last sign-in (UTC)", cell: (info) => utc(info.getValue()) }),
    column.accessor("createdAt", { header: "Created (UTC)", cell: (info) => utc(info.getValue()) }),
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
