/**
 * A bounded name for what a request asked for, for metrics and the access log: the Remix route id that
 * answers the path (`routes/customers.$customerId`), never the raw URL (ids, emails, endless label values).
 */
import { matchRoutes } from "@remix-run/react";

/** The part of a Remix build's route manifest the labels need (`build.routes`). */
export type RouteManifest = Record<
  string,
  { id: string; parentId?: string; path?: string; index?: boolean } | undefined
>;

type RouteObjects = Parameters<typeof matchRoutes>[0];

function routeTree(manifest: RouteManifest, parentId?: string): RouteObjects {
  return Object.values(manifest).flatMap((route): RouteObjects => {
    if (route === undefined || route.parentId !== parentId) return [];
    return route.index
      ? [{ id: route.id, path: route.path, index: true as const }]
      : [{ id: route.id, path: route.path, children: routeTree(manifest, route.id) }];
  });
}

/** Single fetch asks for a page's data at `<path>.data` (`/_root.data` for `/`). */
function pagePath(pathname: string): string {
  if (pathname === "/_root.data") return "/";
  return pathname.endsWith(".data") ? pathname.slice(0, -".data".length) : pathname;
}

/** Paths whose label is remembered: `matchRoutes` flattens, ranks and compiles every route on each call. */
const REMEMBERED_PATHS = 1_000;

/** Labels paths with the deepest Remix route that matches them; one tree per build. */
export function remixRouteLabeler(manifest: RouteManifest): (pathname: string) => string {
  const tree = routeTree(manifest);
  // The same few paths come back all the time (/customers, /search, a customer being worked on); oldest forgotten first.
  const labels = new Map<string, string>();
  return (pathname) => {
    if (pathname === "/__manifest") return "remix:manifest";
    const known = labels.get(pathname);
    if (known !== undefined) return known;
    const label = matchRoutes(tree, pagePath(pathname))?.at(-1)?.route.id ?? "unmatched";
    if (labels.size >= REMEMBERED_PATHS) labels.delete(labels.keys().next().value!);
    labels.set(pathname, label);
    return label;
  };
}
