// The filter bar of the console's server-side tables: a GET form whose fields are URL parameters.

import { Form, Link, useLocation } from "@remix-run/react";
import type { ReactNode } from "react";
import { PreserveParams } from "./pagination";

/**
 * The filter bar of a server-side table: a GET form whose fields are URL parameters. Applying resets
 * the page; "Clear filters" appears when any of `filterParams` is set.
 */
export function DataTableToolbar({
  label,
  filterParams,
  keepParams = [],
  children,
  actions,
}: {
  /** Accessible name of the filter form. */
  label: string;
  /** The URL parameters the form's fields own (cleared by "Clear filters"). */
  filterParams: string[];
  /** Other parameters the form carries along unchanged (e.g. pageSize). */
  keepParams?: string[];
  children: ReactNode;
  /** Extra controls at the end (e.g. an export link). */
  actions?: ReactNode;
}) {
  const location = useLocation();
  const current = new URLSearchParams(location.search);
  const filtered = filterParams.some((p) => current.get(p));
  const cleared = new URLSearchParams();
  for (const key of keepParams) {
    const value = current.get(key);
    if (value) cleared.set(key, value);
  }
  return (
    <Form method="get" className="toolbar" role="search" aria-label={label}>
      <PreserveParams
        except={[...filterParams, "page", "cursor", ...[...current.keys()].filter((k) => !keepParams.includes(k))]}
      />
      {children}
      <button type="submit" className="button">
        Apply
      </button>
      {filtered ? (
        <Link className="button button--quiet" to={`${location.pathname}${cleared.size ? `?${cleared}` : ""}`}>
          Clear filters
        </Link>
      ) : null}
      {actions ? <span className="toolbar__actions">{actions}</span> : null}
    </Form>
  );
}
