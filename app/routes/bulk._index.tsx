// /bulk — seat changes or manual usage from one CSV file: the upload, the templates, the recent batches.

import {
  data,
  MaxPartSizeExceededError,
  redirect,
  unstable_createMemoryUploadHandler,
  unstable_parseMultipartFormData,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { requireStaff } from "../../server/auth/index.ts";
import { listBulkBatches, uploadBulkFile } from "../../server/bulk/index.ts";
import { BulkBatchList } from "~/components/bulk/batch-list";
import { BulkUploadForm } from "~/components/bulk/upload-form";
import { RouteErrorBoundary } from "~/components/route-error";
import {
  bulkStatus,
  bulkUploadFieldsSchema,
  MAX_BULK_FILE_BYTES,
  type BulkKind,
  type BulkUploadResult,
} from "~/contracts/bulk";
import { formatCount } from "~/contracts/format";
import { readFormData } from "~/lib/form-body.server";

export const meta: MetaFunction = () => [{ title: "Bulk changes · Commet Ops Console" }];

/** GET /bulk (bulk:apply): the upload form and the recent batches. */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireStaff(request, "bulk:apply");
  return { batches: await listBulkBatches() };
}

type UploadAnswer = { result: BulkUploadResult; kind: BulkKind | null };

const refuse = (message: string, kind: BulkKind | null = null) =>
  data<UploadAnswer>({ result: { kind: "file_errors", errors: [message], message }, kind }, { status: 400 });

/** The posted form with its file held in memory, refused above the size limit before it is read whole. */
async function readUpload(request: Request): Promise<FormData | string> {
  if (!request.headers.get("Content-Type")?.toLowerCase().startsWith("multipart/form-data")) {
    return readFormData(request); // a form without a file: answered below as "choose a file"
  }
  try {
    return await unstable_parseMultipartFormData(
      request,
      unstable_createMemoryUploadHandler({ maxPartSize: MAX_BULK_FILE_BYTES }),
    );
  } catch (error) {
    if (error instanceof MaxPartSizeExceededError) {
      return `The file is larger than ${formatCount(MAX_BULK_FILE_BYTES / 1024 / 1024)} MB.`;
    }
    return "The upload could not be read. Choose the file again.";
  }
}

/**
 * POST /bulk (bulk:apply, multipart): the file is parsed and every row validated against Commet; a stored
 * batch opens on its own page (its dry run), a refused file answers 400 with why. Nothing is written to Commet.
 */
export async function action({ request }: ActionFunctionArgs) {
  const staff = await requireStaff(request, "bulk:apply");
  const form = await readUpload(request);
  if (typeof form === "string") return refuse(form);
  const fields = bulkUploadFieldsSchema.safeParse({ kind: form.get("kind") });
  const kind = fields.success ? fields.data.kind : null;
  const file = form.get("file");
  if (!(file instanceof File) || file.size === 0) return refuse("Choose a CSV file to upload.", kind);
  if (!fields.success) return refuse(fields.error.issues[0]?.message ?? "Choose seat changes or manual usage");
  const result = await uploadBulkFile(staff, {
    kind: fields.data.kind,
    fileName: file.name,
    content: await file.text(),
  });
  if (result.kind === "created") return redirect(`/bulk/${result.batchId}`);
  if (result.kind === "existing") return redirect(`/bulk/${result.batchId}?uploaded=again`);
  return data<UploadAnswer>({ result, kind }, { status: bulkStatus(result) });
}

export default function BulkIndex() {
  const { batches } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" && navigation.formAction === "/bulk";
  const result = answer?.result;
  const errors = !result ? null : result.kind === "file_errors" ? result.errors : [result.message];
  return (
    <>
      <div className="page-header">
        <h1>Bulk changes</h1>
        <p className="muted">
          Seat changes or manual usage for many customers from one CSV file. Every row is checked against Commet first
          and shown as a dry run; nothing is written until you apply it, and each row is applied exactly once — a
          restart mid-way resumes where it stopped.
        </p>
      </div>
      <BulkUploadForm errors={errors} busy={busy} defaultKind={answer?.kind ?? "seats"} />
      <section className="bulk-section" aria-labelledby="bulk-recent">
        <h2 id="bulk-recent">Recent batches</h2>
        <BulkBatchList batches={batches} />
      </section>
    </>
  );
}

export const ErrorBoundary = RouteErrorBoundary;
