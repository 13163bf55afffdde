// /bulk/:batchId/progress — the batch's progress bar as JSON, polled by its page while rows are written.

import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../../server/auth/index.ts";
import { bulkBatchProgress } from "../../server/bulk/index.ts";
import { bulkBatchIdSchema } from "~/contracts/bulk";
import { NO_STORE } from "~/contracts/ops-results";

/** GET /bulk/:batchId/progress (bulk:apply): counts and status, never cached; 404 for an unknown batch. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireStaff(request, "bulk:apply");
  const id = bulkBatchIdSchema.safeParse(params.batchId);
  const progress = id.success ? await bulkBatchProgress(id.data) : null;
  if (!progress) return Response.json({ message: "No such batch" }, { status: 404, headers: NO_STORE });
  return Response.json(progress, { headers: NO_STORE });
}
