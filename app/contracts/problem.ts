/**
 * What a loader tells the screen when Commet or an input check fails: a sentence for the operator, the variable
 * to check, whether retrying may help. Made by server/commet/errors.ts; parsed here so the error boundary never
 * trusts `error.data` blindly. Client-safe (docs/decisions/0012-contracts-and-layers.md).
 */

import { z } from "zod";

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
