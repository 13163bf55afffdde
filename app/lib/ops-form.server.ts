/** Request and response of the ops write routes (seats, usage): the form in, the result out. */
import { data } from "@remix-run/node";
import { parseCustomerRef } from "~/contracts/customer-ref";
import { NO_STORE, writeStatus, type SeatActionResult } from "~/contracts/ops-results";

/**
 * Reads an ops write form posted to /customers/:customerId/…: the intent is split off, and the
 * customer is taken from the URL — a form field cannot point the write at another customer.
 * An unusable customer reference is a 404.
 */
export async function readOpsWriteForm(request: Request, customerRef: string | undefined) {
  const customerId = parseCustomerRef(customerRef);
  if (!customerId) throw data(null, { status: 404 });
  const { intent, ...fields } = Object.fromEntries(await request.formData());
  const form: Record<string, FormDataEntryValue> = { ...fields, customerId };
  return { customerId, intent, form };
}

/** The result for the form's fetcher, with its HTTP status (400, 403, 409, 502) and never cached. */
export function opsWriteResponse<R extends SeatActionResult>(result: R) {
  return data(result, { status: writeStatus(result), headers: NO_STORE });
}

export const unknownIntent = () =>
  opsWriteResponse({ kind: "field_errors", fieldErrors: { _form: ["Unknown action"] }, message: "Unknown action" });
