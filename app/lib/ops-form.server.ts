import { data } from "@remix-run/node";
import { parseCustomerRef } from "~/contracts/customer-ref";

/**
 * Reads an ops write form (seats, usage) posted to /customers/:customerId/…: the intent is split off,
 * and the customer is taken from the URL — a form field cannot point the write at another customer.
 * An unusable customer reference is a 404.
 */
export async function readOpsWriteForm(request: Request, customerRef: string | undefined) {
  const customerId = parseCustomerRef(customerRef);
  if (!customerId) throw data(null, { status: 404 });
  const { intent, ...fields } = Object.fromEntries(await request.formData());
  const form: Record<string, FormDataEntryValue> = { ...fields, customerId };
  return { customerId, intent, form };
}
