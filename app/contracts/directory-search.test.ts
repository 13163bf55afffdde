import { describe, expect, it } from "vitest";
import { parseCustomersTable, parseSubscriptionsTable, splitSort } from "./directory-search";

describe("directory table URL state", () => {
  it("defaults", () => {
    expect(parseCustomersTable(new URLSearchParams())).toEqual({
      sort: "-created",
      page: 1,
      pageSize: 25,
      plan: undefined,
      status: undefined,
    });
    expect(parseSubscriptionsTable(new URLSearchParams()).sort).toBe("-started");
  });
  it("keeps valid values", () => {
    const s = parseCustomersTable(new URLSearchParams("sort=email&status=past_due&plan=plan_1&page=3&pageSize=50"));
    expect(s).toEqual({ sort: "email", status: "past_due", plan: "plan_1", page: 3, pageSize: 50 });
    expect(parseCustomersTable(new URLSearchParams("status=none")).status).toBe("none");
  });
  it("bad values fall back instead of failing", () => {
    const s = parseCustomersTable(new URLSearchParams("sort=drop table&status=weird&page=-1&pageSize=7"));
    expect(s).toMatchObject({ sort: "-created", status: undefined, page: 1, pageSize: 25 });
    expect(parseSubscriptionsTable(new URLSearchParams("status=none")).status).toBeUndefined();
    expect(parseSubscriptionsTable(new URLSearchParams("sort=seats")).sort).toBe("-started");
  });
  it("splits the sort direction", () => {
    expect(splitSort("-created")).toEqual({ sort: "created", dir: "desc" });
    expect(splitSort("email")).toEqual({ sort: "email", dir: "asc" });
  });
});
