// Page links and page-size choice for the console's server-paged tables (the page lives in the URL).

import { Form, Link } from "@remix-run/react";
import { useSearchWith } from "./url-state";

/**
 * Page links for a server-paged table (page numbers in the URL, 1-based): works without JavaScript.
 * `total` is the row count matching the filters.
 */
export function DataTablePagination({
  page,
  pageSize,
  total,
  pageSizes = [25, 50, 100, 200],
  noun = "rows",
  params = { page: "page", pageSize: "pageSize" },
}: {
  page: number;
  pageSize: number;
  total: number;
  pageSizes?: number[];
  noun?: string;
  params?: { page: string; pageSize: string };
}) {
  const searchWith = useSearchWith();
  const pageCount = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  const to = (p: number) => searchWith({ [params.page]: p === 1 ? null : p });
  return (
    <nav className="pager" aria-label="Pages">
      <span className="muted" data-testid="pager-summary">
        {total === 0 ? `No ${noun}` : `${first}–${last} of ${total} ${noun} · page ${page} of ${pageCount}`}
      </span>
      <Form method="get" className="pager__size">
        <PreserveParams except={[params.pageSize, params.page]} />
        <label>
          Rows per page{" "}
          <select
            name={params.pageSize}
            defaultValue={String(pageSize)}
            onChange={(event) => event.currentTarget.form?.requestSubmit()}
          >
            {pageSizes.map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </select>
        </label>
        <noscript>
          <button type="submit" className="button button--quiet button--small">
            Set
          </button>
        </noscript>
      </Form>
      {page > 1 ? (
        <>
          <Link className="button button--quiet" to={to(1)} aria-label="First page">
            «
          </Link>
          <Link className="button button--quiet" to={to(page - 1)} rel="prev">
            Previous page
          </Link>
        </>
      ) : null}
      {page < pageCount ? (
        <Link className="button button--quiet" to={to(page + 1)} rel="next">
          Next page
        </Link>
      ) : null}
    </nav>
  );
}

/** Hidden inputs carrying the current URL's parameters into a GET form (minus the ones it sets). */
export function PreserveParams({ except }: { except: string[] }) {
  const searchWith = useSearchWith();
  const params = new URLSearchParams(searchWith({}).split("?")[1] ?? "");
  return (
    <>
      {[...params]
        .filter(([key]) => !except.includes(key))
        .map(([key, value]) => (
          <input key={`${key}=${value}`} type="hidden" name={key} value={value} />
        ))}
    </>
  );
}
