/** The edge of every write function: the role may do it and the form parses — else nothing is sent. */
import type { z } from "zod";
import { parseForm } from "../../app/contracts/ops-forms.ts";
import type { WriteResult } from "../../app/contracts/ops-results.ts";
import { can, type Permission, type Role } from "../../app/contracts/permissions.ts";
import { fieldErrors } from "./answers.ts";

/** The parsed form (context-free schema), or the result to render (forbidden / field_errors). */
export function admit<S extends z.ZodType>(
  role: Role | null,
  permission: Permission,
  schema: S,
  form: FormData | Record<string, unknown>,
  denied: string,
): { ok: true; form: z.output<S> } | { ok: false; result: WriteResult } {
  if (!can(role, permission)) return { ok: false, result: { kind: "forbidden", message: denied } };
  const parsed = parseForm(schema, form);
  if (!parsed.ok) return { ok: false, result: fieldErrors(parsed.fieldErrors) };
  return { ok: true, form: parsed.data };
}
