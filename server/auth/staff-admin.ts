/** The staff page's changes (create, change role, deactivate, reactivate, reset password), each answered with a message or field errors. */
import { z } from "zod";
import type { StaffActionResult, StaffIntent } from "../../app/contracts/staff-admin.ts";
import {
  changeStaffRole,
  createStaff,
  deactivateStaff,
  reactivateStaff,
  resetStaffPassword,
  StaffError,
  type StaffActor,
} from "./index.ts";

const STATUS_OF: Partial<Record<StaffError["code"], number>> = { not_found: 404, email_taken: 409 };

async function apply(actor: StaffActor, input: StaffIntent): Promise<StaffActionResult> {
  const done = (staff: { id: string }, message: string, oneTime?: { email: string; password?: string | null }) => ({
    intent: input.intent,
    staffId: staff.id,
    ok: true,
    message,
    oneTimePassword: oneTime?.password ? { email: oneTime.email, password: oneTime.password } : undefined,
  });
  switch (input.intent) {
    case "create": {
      const { staff, generatedPassword } = await createStaff(actor, input);
      return done(staff, `Created ${staff.email} (${staff.role}).`, {
        email: staff.email,
        password: generatedPassword,
      });
    }
    case "change-role": {
      const staff = await changeStaffRole(actor, input.staffId, input.role);
      return done(staff, `${staff.email} is now ${staff.role}.`);
    }
    case "deactivate": {
      const staff = await deactivateStaff(actor, input.staffId);
      return done(staff, `Deactivated ${staff.email}; their sessions have ended.`);
    }
    case "reactivate": {
      const staff = await reactivateStaff(actor, input.staffId);
      return done(staff, `Reactivated ${staff.email}.`);
    }
    case "reset-password": {
      const { staff, generatedPassword } = await resetStaffPassword(actor, input.staffId);
      return done(staff, `New password for ${staff.email}; their sessions have ended.`, {
        email: staff.email,
        password: generatedPassword,
      });
    }
  }
}

/**
 * Runs one change (every change is audited by the staff directory). A refused change — invalid input,
 * a taken email, the last admin, an unknown account — is answered with its status, not thrown.
 */
export async function runStaffIntent(
  actor: StaffActor,
  input: StaffIntent,
): Promise<{ status: number; result: StaffActionResult }> {
  try {
    return { status: 200, result: await apply(actor, input) };
  } catch (error) {
    if (error instanceof z.ZodError) {
      const fieldErrors = z.flattenError(error).fieldErrors;
      return {
        status: 400,
        result: { intent: input.intent, ok: false, message: "Check the highlighted fields.", fieldErrors },
      };
    }
    if (error instanceof StaffError) {
      return {
        status: STATUS_OF[error.code] ?? 400,
        result: {
          intent: input.intent,
          staffId: "staffId" in input ? input.staffId : undefined,
          ok: false,
          message: error.message,
          fieldErrors: error.code === "email_taken" ? { email: [error.message] } : undefined,
        },
      };
    }
    throw error;
  }
}
