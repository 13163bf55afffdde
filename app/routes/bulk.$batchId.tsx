// /bulk/:batchId — one uploaded file: errors by line, the dry run, apply with progress, pause / resume / cancel.

import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { requireStaff } from "../../server/auth/index.ts";
import { actOnBulkBatch, loadBulkBatch } from "../../server/bulk/index.ts";
import { BulkBatchPage } from "~/components/bulk/batch-view";
import { RouteErrorBoundary } from "~/components/route-error";
import {
  bulkBatchIdSchema,
  bulkIntentSchema,
  bulkRowQuerySchema,
  bulkStatus,
  type BulkActionResult,
} from "~/contracts/bulk";
import { readFormData } from "~/lib/form-body.server";

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [
  { title: `${loaded?.batch.fileName ?? "Bulk batch"} · Bulk changes · Commet Ops Console` },
];

const notFound = () => new Response("No such batch", { status: 404, headers: { "Cache-Control": "no-store" } });

/** GET /bulk/:batchId?filter=&page= (bulk:apply): the batch with one page of its rows. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, "bulk:apply");
  const id = bulkBatchIdSchema.safeParse(params.batchId);
  if (!id.success) throw notFound();
  const url = new URL(request.url);
  const batch = await loadBulkBatch(id.data, bulkRowQuerySchema.parse(Object.fromEntries(url.searchParams)), staff);
  if (!batch) throw notFound();
  const notice =
    url.searchParams.get("uploaded") === "again"
      ? "This file was uploaded before (same kind and content): here is that batch — nothing new was created."
      : null;
  return { batch, notice };
}

/**
 * POST /bulk/:batchId (bulk:apply) intent=exclude_invalid | revalidate | apply | pause | resume | cancel — one
 * server call; the answer's status: 202 sent for approval, 404 no batch, 409 not possible now, 502 Commet.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "bulk:apply");
  const id = bulkBatchIdSchema.safeParse(params.batchId);
  if (!id.success) throw notFound();
  const intent = bulkIntentSchema.safeParse(Object.fromEntries(await readFormData(request)));
  if (!intent.success) {
    const refused: BulkActionResult = { kind: "refused", message: "Unknown action" };
    return data(refused, { status: 400 });
  }
  const result = await actOnBulkBatch(staff, id.data, intent.data.intent);
  if (result.kind === "not_found") throw notFound();
  return data(result, { status: bulkStatus(result) });
}

export default function BulkBatchRoute() {
  const { batch, notice } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() ?? null;
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  return <BulkBatchPage key={batch.id} batch={batch} result={result} notice={notice} busy={busy} />;
}

export const ErrorBoundary = RouteErrorBoundary;
