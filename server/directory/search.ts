/**
 * One search box for everything, answered from the local index (never from Commet):
 * - Commet id and externalId: exact;
 * - invoice number: exact, case-insensitive (numbers seen in webhooks);
 * - email: case-insensitive prefix (range scan on `email_norm`);
 * - name: every query token is a prefix of a name token, accents folded (FTS5 / tsvector).
 * Hits are ranked exact-before-prefix; `exactHit` is set when exactly one customer matches exactly,
 * so the UI can open it on Enter.
 */
import { CompiledQuery, sql, type RawBuilder } from "kysely";
import { foldText, normalizeEmail, prefixUpperBound, tokenize } from "./normalize.ts";
import { tables, type Db, type DirectoryDb } from "./schema.ts";
import type { MatchedOn, SearchHit, SearchResult } from "../../app/contracts/search.ts";

export const SEARCH_MAX_LIMIT = 50;
const MAX_QUERY_LENGTH = 200;
const MAX_NAME_TOKENS = 6;
/** Name matches fetched per query before ranking (see byNameTokens). */
const NAME_CANDIDATES = 200;

const customerColumns = [
  "id",
  "external_id",
  "email",
  "full_name",
  "plan_name",
  "subscription_status",
  "name_search",
  "email_norm",
] as const;

type Row = {
  id: string;
  external_id: string | null;
  email: string;
  full_name: string | null;
  plan_name: string | null;
  subscription_status: string | null;
  name_search: string;
  email_norm: string;
};

interface Scored {
  row: Row;
  matchedOn: MatchedOn;
  exact: boolean;
  score: number;
  invoiceNumber?: string;
}

/** Sorting weight of each kind of match (higher first). */
const SCORE = {
  id: 100,
  externalId: 95,
  invoice: 90,
  emailExact: 85,
  nameExact: 80,
  /** Every query token is a whole word of the name. */
  nameWords: 60,
  emailPrefix: 50,
  namePrefix: 30,
} as const;

function toHit(s: Scored): SearchHit {
  const hit: SearchHit = {
    id: s.row.id,
    externalId: s.row.external_id,
    email: s.row.email,
    fullName: s.row.full_name,
    planName: s.row.plan_name,
    subscriptionStatus: s.row.subscription_status,
    matchedOn: s.matchedOn,
    exact: s.exact,
  };
  if (s.invoiceNumber) hit.invoiceNumber = s.invoiceNumber;
  return hit;
}

type Branch = "id" | "externalId" | "invoice" | "email" | "nameExact" | "nameWords" | "namePrefix";

/** Customer columns of one branch of the search, tagged with the branch and (invoice) the number. */
function branch(trx: Db, kind: Branch, invoiceNumber: RawBuilder<string | null> = sql<string | null>`null`) {
  return trx
    .selectFrom("directory_customers as c")
    .select([
      ...customerColumns.map((col) => `c.${col}` as const),
      sql.lit(kind).as("branch"),
      invoiceNumber.as("invoice_number"),
    ]);
}

/**
 * Name matches — whole words, or with `prefix` each query token a prefix of some name token — at most
 * NAME_CANDIDATES of them. Deliberately unordered in SQL: ordering by name lets PostgreSQL walk the
 * name index and test every row when matches are rare (hundreds of ms at 100k); the caller ranks the
 * bounded candidate set. A prefix matching more customers than that is too vague to list them all
 * anyway, and whole-word matches come through their own branch so they are not crowded out.
 */
function nameBranch(database: DirectoryDb, match: string, prefix: boolean) {
  const trx = tables(database);
  const kind: Branch = prefix ? "namePrefix" : "nameWords";
  if (database.dialect === "postgres") {
    return branch(trx, kind)
      .where(sql<boolean>`c.name_tsv @@ to_tsquery('simple'::regconfig, ${match})`)
      .limit(NAME_CANDIDATES);
  }
  return branch(trx, kind).where(
    sql.ref("c.pk"),
    "in",
    sql<number>`(select rowid from directory_customers_fts where directory_customers_fts match ${match} limit ${NAME_CANDIDATES})`,
  );
}

/** The values a search puts in its SQL; everything else about the statement depends only on its shape. */
type SearchValues = {
  raw: string;
  invoiceNumber: string;
  emailPrefix: string;
  emailUpper: string;
  folded: string;
  limit: number;
  wordsMatch: string;
  prefixMatch: string;
};
type SearchShape = { hasSpace: boolean; names: boolean; emailUpper: boolean };

/** The full-text query of the name branches: FTS5 MATCH on SQLite, a tsquery on PostgreSQL. */
function nameMatch(database: DirectoryDb, tokens: readonly string[], prefix: boolean): string {
  if (database.dialect === "postgres") {
    return tokens.map((t) => `'${t.replaceAll("'", "''")}'${prefix ? ":*" : ""}`).join(" & ");
  }
  return tokens.map((t) => `"${t.replaceAll('"', '""')}"${prefix ? "*" : ""}`).join(" ");
}

/** One search statement as Kysely builds it: every kind of match is a branch of a UNION ALL. */
function searchQuery(database: DirectoryDb, shape: SearchShape, v: SearchValues) {
  const trx = tables(database);
  const branches = [branch(trx, "externalId").where("c.external_id", "=", v.raw).limit(5)];
  if (!shape.hasSpace) {
    branches.push(branch(trx, "id").where("c.id", "=", v.raw).limit(1));
    branches.push(
      branch(trx, "invoice", sql<string | null>`i.invoice_number`)
        .innerJoin("directory_invoices as i", (j) =>
          j.on((eb) =>
            eb.or([eb("c.id", "=", eb.ref("i.customer_ref")), eb("c.external_id", "=", eb.ref("i.customer_ref"))]),
          ),
        )
        .where("i.invoice_number_norm", "=", v.invoiceNumber)
        .limit(1),
    );
    let emails = branch(trx, "email").where("c.email_norm", ">=", v.emailPrefix);
    if (shape.emailUpper) emails = emails.where("c.email_norm", "<", v.emailUpper);
    branches.push(emails.orderBy("c.email_norm").orderBy("c.id").limit(v.limit));
  }
  if (shape.names) {
    branches.push(branch(trx, "nameExact").where("c.name_search", "=", v.folded).limit(v.limit));
    branches.push(nameBranch(database, v.wordsMatch, false));
    branches.push(nameBranch(database, v.prefixMatch, true));
  }
  // Each branch keeps its own ORDER BY / LIMIT inside a derived table (valid on both engines).
  const [first, ...rest] = branches.map((b, i) => trx.selectFrom(b.as(`b${i}`)).selectAll());
  let union = first!;
  for (const b of rest) union = union.unionAll(b);
  return union;
}

type CompiledSearch = { sql: string; slots: (keyof SearchValues | { value: unknown })[] };

/**
 * Building and compiling the statement cost more than running it, and there are only eight shapes per
 * engine: each is compiled once, with a marker in place of every value, and each search fills in its values.
 */
const compiledSearches = new WeakMap<object, Map<string, CompiledSearch>>();
const MARKER = "\u0000search-value:";

function compiledSearch(database: DirectoryDb, shape: SearchShape): CompiledSearch {
  let byShape = compiledSearches.get(database.db);
  if (!byShape) compiledSearches.set(database.db, (byShape = new Map()));
  const key = `${shape.hasSpace}|${shape.names}|${shape.emailUpper}`;
  const cached = byShape.get(key);
  if (cached) return cached;
  const names = ["raw", "invoiceNumber", "emailPrefix", "emailUpper", "folded", "limit", "wordsMatch", "prefixMatch"];
  const markers = Object.fromEntries(names.map((n) => [n, `${MARKER}${n}`])) as unknown as SearchValues;
  const query = searchQuery(database, shape, markers).compile();
  if (query.sql.includes(MARKER)) throw new Error("a search value was inlined into the SQL instead of bound");
  const compiled: CompiledSearch = {
    sql: query.sql,
    slots: query.parameters.map((p) =>
      typeof p === "string" && p.startsWith(MARKER) ? (p.slice(MARKER.length) as keyof SearchValues) : { value: p },
    ),
  };
  byShape.set(key, compiled);
  return compiled;
}

/**
 * Search the index. Returns at most `limit` hits (default 10, max 50), best first.
 * An empty or blank query returns no hits. One round trip: every kind of match is a branch of a
 * UNION ALL, ranked here.
 */
export async function searchCustomers(
  database: DirectoryDb,
  query: string,
  options: { limit?: number } = {},
): Promise<SearchResult> {
  const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? 10)), SEARCH_MAX_LIMIT);
  const raw = query.trim().slice(0, MAX_QUERY_LENGTH);
  if (!raw) return { query: raw, hits: [], exactHit: null };
  const trx = tables(database);
  const found = new Map<string, Scored>();
  const add = (row: Row, matchedOn: MatchedOn, exact: boolean, score: number, invoiceNumber?: string) => {
    const prev = found.get(row.id);
    if (prev && prev.score >= score) return;
    found.set(row.id, { row, matchedOn, exact, score, ...(invoiceNumber ? { invoiceNumber } : {}) });
  };

  const looksLikeEmail = raw.includes("@");
  const hasSpace = /\s/.test(raw);
  const emailPrefix = normalizeEmail(raw);
  const tokens = looksLikeEmail ? [] : tokenize(raw).slice(0, MAX_NAME_TOKENS);
  const folded = tokens.join(" ");
  const upper = hasSpace ? null : prefixUpperBound(emailPrefix);

  const values: SearchValues = {
    raw,
    invoiceNumber: raw.toLowerCase(),
    emailPrefix,
    emailUpper: upper ?? "",
    folded,
    limit,
    wordsMatch: nameMatch(database, tokens, false),
    prefixMatch: nameMatch(database, tokens, true),
  };
  const shape: SearchShape = { hasSpace, names: tokens.length > 0, emailUpper: upper !== null };
  const compiled = compiledSearch(database, shape);
  const parameters = compiled.slots.map((slot) => (typeof slot === "string" ? values[slot] : slot.value));
  const { rows } = await trx.executeQuery<Row & { branch: string; invoice_number: string | null }>(
    CompiledQuery.raw(compiled.sql, parameters),
  );

  for (const r of rows) {
    const row = r as Row;
    switch (r.branch as Branch) {
      case "id":
        add(row, "id", true, SCORE.id);
        break;
      case "externalId":
        add(row, "externalId", true, SCORE.externalId);
        break;
      case "invoice":
        add(row, "invoice", true, SCORE.invoice, r.invoice_number ?? undefined);
        break;
      case "email": {
        const exact = row.email_norm === emailPrefix;
        add(row, "email", exact, exact ? SCORE.emailExact : SCORE.emailPrefix);
        break;
      }
      default: {
        const exact = row.name_search === folded;
        const words = row.name_search.split(" ");
        const allWords = tokens.every((t) => words.includes(t));
        add(row, "name", exact, exact ? SCORE.nameExact : allWords ? SCORE.nameWords : SCORE.namePrefix);
      }
    }
  }

  const ranked = [...found.values()].sort(
    (a, b) =>
      b.score - a.score ||
      (a.matchedOn === "email" ? a.row.email_norm.localeCompare(b.row.email_norm) : 0) ||
      a.row.name_search.localeCompare(b.row.name_search) ||
      a.row.email_norm.localeCompare(b.row.email_norm) ||
      (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0),
  );
  const hits = ranked.slice(0, limit).map(toHit);
  const exactHits = ranked.filter((s) => s.exact);
  return { query: raw, hits, exactHit: exactHits.length === 1 ? toHit(exactHits[0]!) : null };
}

/** The folded form the name search compares against (exported for the UI's highlighting). */
export { foldText };
