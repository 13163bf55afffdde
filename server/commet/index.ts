/** The console's surface onto Commet: one SDK client, typed calls per use, errors mapped once. */
export {
  commetBaseUrl,
  connectCommet,
  getCommetConnection,
  invalidateCatalog,
  type CommetConnection,
} from "./client.ts";
export { CATALOG_HINT_EVENTS, catalogWebhooks } from "./catalog-webhooks.ts";
export { answerCommet, callCommet, problemStatus, throwCommetProblem, toCommetProblem } from "./errors.ts";
export { getOrgMode, noteLivemode, type OrgMode } from "./mode.ts";
export { listPlans } from "./plans.ts";
export { probeCommet } from "./probe.ts";
export { getShellInfo, loadShell } from "./shell.ts";
