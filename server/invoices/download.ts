/**
 * The PDF of an invoice: audited ("invoices.download": who, which invoice, for whom), then Commet's signed URL
 * goes back to the route, which redirects to it. The URL is a bearer credential: never stored, never logged.
 */
import { randomUUID } from "node:crypto";
import type { Role } from "../../app/contracts/permissions.ts";
import { runAudited as runAuditedInConsoleDb } from "../audit/index.ts";
import { getCommet } from "../commet/client.ts";
import { getCustomerInvoice, type InvoicesCommet } from "./detail.ts";

export const DOWNLOAD_ACTION = "invoices.download";

export interface DownloadInput {
  actor: { id: string; email: string };
  role: Role;
  customerRef: string;
  invoiceId: string;
}

/** The signed URL (null: no such invoice for this customer — nothing audited). Throws SDK errors. */
export async function invoiceDownloadUrl(
  input: DownloadInput,
  options: { commet?: InvoicesCommet; runAudited?: typeof runAuditedInConsoleDb } = {},
): Promise<{ url: string; expiresAt: string } | null> {
  const commet = options.commet ?? getCommet();
  const runAudited = options.runAudited ?? runAuditedInConsoleDb;
  const found = await getCustomerInvoice(input.customerRef, input.invoiceId, { commet });
  if (!found) return null;
  const { invoice } = found;
  return runAudited(
    {
      actor: input.actor,
      role: input.role,
      action: DOWNLOAD_ACTION,
      customerId: found.customer.id,
      params: { invoiceId: invoice.id, invoiceNumber: invoice.invoiceNumber },
      idempotencyKey: `invoice-download-${randomUUID()}`,
    },
    async () => {
      const link = (await commet.invoices.getDownloadUrl({ id: invoice.id })).data;
      if (!link?.url) {
        throw Object.assign(new Error("Commet answered getDownloadUrl without a url"), { code: "no_download_url" });
      }
      return { url: link.url, expiresAt: link.expiresAt };
    },
    // The row records that the PDF was fetched; the signed link stays out of it.
    { success: () => ({}) },
  );
}
