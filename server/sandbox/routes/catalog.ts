// The sandbox's catalog routes: plans and features.

import { z } from "zod";
import { type RouteDef, pageArray, pageQuery, parse } from "../api.ts";
import { errors } from "../errors.ts";
import { featureOut, planOut } from "../serialize.ts";

const plansQuery = z.object({ includePrivate: z.enum(["true", "false"]).optional(), ...pageQuery });
const featuresQuery = z.object(pageQuery);

export const catalogRoutes: RouteDef[] = [
  [
    "GET",
    "/api/v1/plans",
    ({ sb, query }) => {
      const q = parse(plansQuery, query);
      const plans = [...sb.catalog.plansById.values()]
        .filter((p) => p.is_public === 1 || q.includePrivate === "true")
        .map((p) => planOut(sb, p));
      return pageArray(plans, q);
    },
  ],
  [
    "GET",
    "/api/v1/plans/:id",
    ({ sb, params }) => {
      const plan = sb.catalog.plan(params.id!);
      if (!plan) throw errors.planNotFound(params.id!);
      return { data: planOut(sb, plan) };
    },
  ],
  [
    "GET",
    "/api/v1/features",
    ({ sb, query }) => pageArray([...sb.catalog.featuresByCode.values()].map(featureOut), parse(featuresQuery, query)),
  ],
  ["GET", "/api/v1/features/:code", ({ sb, params }) => ({ data: featureOut(sb.feature(params.code!, "code")) })],
];
