/** Request and response of the ops write routes (seats, usage): the form in, the result out. */
import { parseCustomerRef } from "~/contracts/customer-ref";
import { NO_STORE, writeStatus } from "~/contracts/ops-results";
import { readFormData } from "~/lib/form-body.server";

/**
 * Reads an ops write form posted to /customers/:customerId/…: the intent is split off, and the
 * customer is taken from the URL — a form field cannot point the write at another customer.
 * An unusable customer reference is a 404.
 */
export async function readOpsWriteForm(request: Request, customerRef: string | undefined) {
  const customerId = parseCustomerRef(customerRef);
  if (!customerId) throw Response.json({ message: "No such customer" }, { status: 404, headers: NO_STORE });
  const { intent, ...fields } = Object.fromEntries(await readFormData(request));
  const form: Record<string, FormDataEntryValue> = { ...fields, customerId };
  return { customerId, intent, form };
}

/**
 * The result with its HTTP status (400, 403, 409, 502), never cached. A Response, not Remix's `data()`: a
 * resource route's `data()` keeps its status only for Remix's own `.data` requests — posted directly it is 200.
 */
export function opsWriteResponse<R extends Parameters<typeof writeStatus>[0]>(result: R): Response {
  return Response.json(result, { status: writeStatus(result), headers: NO_STORE });
}

export const unknownIntent = () =>
  opsWriteResponse({ kind: "field_errors", fieldErrors: { _form: ["Unknown action"] }, message: "Unknown action" });
