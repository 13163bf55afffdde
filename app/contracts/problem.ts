import { z } from "zod";

/**
 * What a loader tells the screen when Commet (or the console's own input
 * checks) fail: a plain sentence for the operator, the variable to check when
 * configuration is at fault, and whether trying again may help. Produced on the
 * server by `server/commet/errors.ts`; parsed here so the error boundary never
 * trusts the shape of `error.data` blindly. Client-safe: no secrets, no SDK.
 */
export const problemKinds = [
  "unauthorized",
  "unreachable",
  "not_commet",
  "rate_limited",
  "unavailable",
  "not_found",
  "invalid_request",
] as const;

export const problemSchema = z.object({
  kind: z.enum(problemKinds),
  title: z.string(),
  message: z.string(),
  variable: z.enum(["COMMET_API_KEY", "COMMET_API_URL"]).optional(),
  retryable: z.boolean(),
  code: z.string().optional(),
  fieldErrors: z.record(z.string(), z.array(z.string())).optional(),
});

export type Problem = z.infer<typeof problemSchema>;

export function parseProblem(value: unknown): Problem | null {
  const result = problemSchema.safeParse(value);
  return result.success ? result.data : null;
}
