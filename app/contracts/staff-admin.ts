/** The staff page's (/admin/staff) form intents and what each answers (client-safe). */
import { z } from "zod";
import { ROLES } from "./permissions.ts";

const roleSchema = z.enum(ROLES, { error: "Choose a role" });
const staffId = z.string().trim().min(1, "No account chosen").max(100);

export const staffIntentSchema = z.discriminatedUnion("intent", [
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
export type StaffIntent = z.infer<typeof staffIntentSchema>;

export type StaffActionResult = {
  intent: string;
  staffId?: string;
  message: string;
  ok: boolean;
  fieldErrors?: Record<string, string[] | undefined>;
  /** Shown once, to hand over to the person; never stored or logged. */
  oneTimePassword?: { email: string; password: string };
};

/** A form that does not parse: its field errors, answered with 400. */
export function invalidStaffForm(form: Record<string, unknown>, error: z.ZodError): StaffActionResult {
  return {
    intent: String(form.intent ?? ""),
    ok: false,
    message: "Check the highlighted fields.",
    fieldErrors: z.flattenError(error).fieldErrors,
  };
}
