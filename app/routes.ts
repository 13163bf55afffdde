import type { RouteConfig } from "@remix-run/route-config";
import { flatRoutes } from "@remix-run/fs-routes";

// File-based routes under app/routes (Remix flat-routes convention).
export default flatRoutes() satisfies RouteConfig;
