/** An action's form body: 415 for a body that is not a form, 400 for one that cannot be read — never a 500. */
import { formContentType, MALFORMED_BODY_MESSAGE, UNSUPPORTED_BODY_MESSAGE } from "../../server/http-content-type.ts";

const answer = (status: number, message: string) =>
  new Response(message, { status, headers: { "Content-Type": "text/plain", "Cache-Control": "no-store" } });

/** request.formData(), with the client's mistakes thrown as 400/415 Responses (the middleware refuses most first). */
export async function readFormData(request: Request): Promise<FormData> {
  const body = formContentType(request.headers.get("Content-Type"));
  if (body === "unsupported") throw answer(415, UNSUPPORTED_BODY_MESSAGE);
  if (body === "malformed") throw answer(400, MALFORMED_BODY_MESSAGE);
  try {
    return await request.formData();
  } catch {
    throw answer(400, MALFORMED_BODY_MESSAGE);
  }
}
