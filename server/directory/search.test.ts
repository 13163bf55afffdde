import { beforeAll, expect, it } from "vitest";
import { closeDatabaseGracefully, describeEachEngine } from "../testing/db.ts";
import { foldText, prefixUpperBound, tokenize } from "./normalize.ts";
import { tables } from "./schema.ts";
import { searchCustomers } from "./search.ts";
import { recordInvoice, upsertCustomers, type CustomerInput } from "./store.ts";

const NOW = Date.parse("2026-11-21T12:00:00.000Z");

function customer(id: string, email: string, fullName: string | null, externalId: string | null = null): CustomerInput {
  return {
    id,
    email,
    fullName,
    externalId,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
  };
}

it("folds accents and case the same way for index and query", () => {
  expect(foldText("Zoë ØDEGÅRD Straße")).toBe("zoe odegard strasse");
  expect(tokenize("  José-María  O'Brien ")).toEqual(["jose", "maria", "o", "brien"]);
  expect(prefixUpperBound("ada")).toBe("adb");
  expect(prefixUpperBound("a@")).toBe("aA");
});

describeEachEngine("directory search", (ctx) => {
  closeDatabaseGracefully(ctx);

  beforeAll(async () => {
    const db = tables(ctx.database);
    await db
      .transaction()
      .execute((trx) =>
        upsertCustomers(
          trx,
          [
            customer("cus_ada", "Ada.Lovelace@Acme.com", "Ada Lovelace", "user_ada"),
            customer("cus_adam", "adam@example.org", "Adam Smith", "user_adam"),
            customer("cus_zoe", "zoe@example.org", "Zoë Ødegård", null),
            customer("cus_jose", "jm@example.org", "José María Núñez", "ext-42"),
            customer("cus_lovelace2", "other@example.org", "Lovelace Ada", null),
            customer("cus_noname", "noname@example.org", null, null),
            customer("cus_pct", "odd%_name@example.org", "Percent Under", null),
            customer("user_ada", "clash@example.org", "Id Clash", null),
          ],
          NOW,
        ),
      );
    await db
      .transaction()
      .execute((trx) =>
        recordInvoice(trx, { invoiceNumber: "INV-0042", invoiceId: "inv_1", customerRef: "ext-42" }, NOW),
      );
  });

  it("email: case-insensitive prefix, exact on the full address", async () => {
    const r = await searchCustomers(ctx.database, "ADA.LOVE");
    expect(r.hits[0]).toMatchObject({ id: "cus_ada", matchedOn: "email", exact: false });
    const full = await searchCustomers(ctx.database, "ada.lovelace@acme.COM");
    expect(full.hits.map((h) => h.id)).toEqual(["cus_ada"]);
    expect(full.exactHit).toMatchObject({ id: "cus_ada", matchedOn: "email", exact: true });
  });

  it("email prefix is literal: % and _ are not wildcards", async () => {
    const r = await searchCustomers(ctx.database, "odd%_");
    expect(r.hits.map((h) => h.id)).toEqual(["cus_pct"]);
    const wild = await searchCustomers(ctx.database, "o%");
    expect(wild.hits.filter((h) => h.matchedOn === "email")).toEqual([]);
  });

  it("name: token prefixes in any order, accents folded both ways", async () => {
    expect((await searchCustomers(ctx.database, "zoe ode")).hits.map((h) => h.id)).toEqual(["cus_zoe"]);
    expect((await searchCustomers(ctx.database, "ØDEG")).hits.map((h) => h.id)).toEqual(["cus_zoe"]);
    expect((await searchCustomers(ctx.database, "nunez jose")).hits.map((h) => h.id)).toEqual(["cus_jose"]);
    expect((await searchCustomers(ctx.database, "Núñ")).hits.map((h) => h.id)).toEqual(["cus_jose"]);
    const love = await searchCustomers(ctx.database, "love");
    expect(love.hits.map((h) => h.id).sort()).toEqual(["cus_ada", "cus_lovelace2"]);
    expect(love.hits.every((h) => h.matchedOn === "name" && !h.exact)).toBe(true);
  });

  it("ranks whole words above prefixes and a full name as exact", async () => {
    const r = await searchCustomers(ctx.database, "ada");
    // "Ada Lovelace" and "Lovelace Ada" contain the word; "Adam Smith" (and adam@…) only a prefix.
    expect(r.hits.find((h) => h.id === "cus_ada")).toMatchObject({ matchedOn: "name", exact: false });
    const ids = r.hits.map((h) => h.id);
    expect(ids.indexOf("cus_ada")).toBeLessThan(ids.indexOf("cus_adam"));
    expect(ids.indexOf("cus_lovelace2")).toBeLessThan(ids.indexOf("cus_adam"));
    const exact = await searchCustomers(ctx.database, "ada lovelace");
    expect(exact.hits[0]).toMatchObject({ id: "cus_ada", matchedOn: "name", exact: true });
    expect(exact.exactHit?.id).toBe("cus_ada");
  });

  it("Commet id and externalId are exact (no prefix), id before externalId", async () => {
    expect((await searchCustomers(ctx.database, "cus_ze")).hits).toEqual([]);
    const byId = await searchCustomers(ctx.database, "cus_zoe");
    expect(byId.hits).toHaveLength(1);
    expect(byId.exactHit).toMatchObject({ id: "cus_zoe", matchedOn: "id", exact: true });
    const byExternal = await searchCustomers(ctx.database, "ext-42");
    expect(byExternal.exactHit).toMatchObject({ id: "cus_jose", matchedOn: "externalId" });
    // "user_ada" is both cus_ada's externalId and another customer's Commet id: two exact hits, no jump.
    const clash = await searchCustomers(ctx.database, "user_ada");
    expect(clash.hits.map((h) => [h.id, h.matchedOn])).toEqual([
      ["user_ada", "id"],
      ["cus_ada", "externalId"],
    ]);
    expect(clash.exactHit).toBeNull();
  });

  it("finds a customer by an invoice number seen in a webhook, case-insensitively", async () => {
    const r = await searchCustomers(ctx.database, "inv-0042");
    expect(r.exactHit).toMatchObject({ id: "cus_jose", matchedOn: "invoice", invoiceNumber: "INV-0042" });
  });

  it("blank and unmatched queries return nothing; limit is honoured", async () => {
    expect((await searchCustomers(ctx.database, "   ")).hits).toEqual([]);
    expect((await searchCustomers(ctx.database, "zzzz")).hits).toEqual([]);
    expect((await searchCustomers(ctx.database, "a", { limit: 2 })).hits).toHaveLength(2);
  });

  it("sees renames: the full-text index follows updates", async () => {
    const db = tables(ctx.database);
    await db.transaction().execute((trx) =>
      upsertCustomers(
        trx,
        [
          {
            ...customer("cus_adam", "adam@example.org", "Adán Smythe", "user_adam"),
            updatedAt: "2026-02-01T00:00:00.000Z",
          },
        ],
        NOW,
      ),
    );
    expect((await searchCustomers(ctx.database, "smith")).hits).toEqual([]);
    expect((await searchCustomers(ctx.database, "adan smy")).hits.map((h) => h.id)).toEqual(["cus_adam"]);
    // A stale copy (older updatedAt) does not win.
    await db
      .transaction()
      .execute((trx) =>
        upsertCustomers(trx, [customer("cus_adam", "adam@example.org", "Adam Smith", "user_adam")], NOW),
      );
    expect((await searchCustomers(ctx.database, "smith")).hits).toEqual([]);
  });
});
