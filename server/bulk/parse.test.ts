/** The CSV reader's edge cases: BOM, CRLF, semicolons, quoted cells and their line numbers, headers, limits. */
import { describe, expect, it } from "vitest";
import { MAX_BULK_ROWS, bulkTemplateCsv } from "../../app/contracts/bulk.ts";
import { detectDelimiter, parseBulkFile, type ParsedFile } from "./parse.ts";

const ok = (file: ParsedFile) => {
  if (!file.ok) throw new Error(`expected a parsed file, got ${file.errors.join("; ")}`);
  return file;
};
const refused = (file: ParsedFile) => {
  if (file.ok) throw new Error("expected the file to be refused");
  return file.errors.join(" | ");
};

describe("parseBulkFile", () => {
  it("reads both templates as valid rows", () => {
    for (const kind of ["seats", "usage"] as const) {
      const file = ok(parseBulkFile(kind, bulkTemplateCsv(kind)));
      expect(file.rows.length).toBeGreaterThan(1);
      expect(file.rows.every((r) => r.errors.length === 0 && r.values?.kind === kind)).toBe(true);
      expect(file.rows.map((r) => r.line)).toEqual(file.rows.map((_, i) => i + 2));
    }
  });

  it("takes a BOM, CRLF line ends, semicolons and header spelling from spreadsheets", () => {
    const text = "\uFEFFCustomer;Seat Type;Operation;Quantity;Reason\r\ncus_1;editor;ADD;3;Renewal, 2027\r\n";
    const file = ok(parseBulkFile("seats", text));
    expect(file.rows).toHaveLength(1);
    expect(file.rows[0]!.values).toEqual({
      kind: "seats",
      row: { customer: "cus_1", seat_type: "editor", operation: "add", quantity: 3, reason: "Renewal, 2027" },
    });
  });

  it("detects the delimiter from the header only", () => {
    expect(detectDelimiter("customer,feature,quantity")).toBe(",");
    expect(detectDelimiter("customer;feature;quantity")).toBe(";");
    expect(detectDelimiter('"a;b",c,d')).toBe(",");
  });

  it("keeps quoted commas and quotes, and numbers a row by its first line when a cell spans lines", () => {
    const text = [
      "customer,feature,quantity,event_time,reason,key",
      'cus_1,api_calls,"1,200",,"He said ""missed"", twice",',
      'cus_2,api_calls,5,,"two',
      'lines",',
      "",
      "cus_3,api_calls,2.5,,ok,",
    ].join("\n");
    const file = ok(parseBulkFile("usage", text));
    expect(file.rows.map((r) => r.line)).toEqual([2, 3, 6]);
    expect(file.rows[0]!.values).toMatchObject({ row: { quantity: 1200, reason: 'He said "missed", twice' } });
    // A reason over two lines is refused (one-line text), with its line number.
    expect(file.rows[1]!.errors).toEqual([{ column: "reason", message: "Reason must not contain control characters" }]);
    expect(file.rows[2]!.values).toMatchObject({ row: { quantity: 2.5 } });
  });

  it("reports cell errors per row and column", () => {
    const text = [
      "customer,seat_type,operation,quantity,reason",
      ",editor,add,3,x",
      "cus_1,editor,double,3,x",
      "cus_1,editor,add,2.5,x",
      "cus_1,editor,add,0,x",
      "cus_1,editor,set,0,x",
      'cus_1,editor,add,"2,5",x',
      "cus_1,editor,add,3,",
      "cus_1,editor,add,3",
    ].join("\r\n");
    const rows = ok(parseBulkFile("seats", text)).rows;
    const errorsOf = (line: number) => rows.find((r) => r.line === line)!.errors;
    expect(errorsOf(2)).toEqual([{ column: "customer", message: "Customer is missing" }]);
    expect(errorsOf(3)).toEqual([{ column: "operation", message: "Operation must be set, add or remove" }]);
    expect(errorsOf(4)).toEqual([{ column: "quantity", message: "Quantity must be a whole number" }]);
    expect(errorsOf(5)).toEqual([{ column: "quantity", message: "Quantity must be greater than 0" }]);
    expect(errorsOf(6)).toEqual([]);
    expect(errorsOf(7)).toEqual([{ column: "quantity", message: "Quantity must be a number (e.g. 1200 or 2.5)" }]);
    expect(errorsOf(8)).toEqual([{ column: "reason", message: "Reason is missing" }]);
    expect(errorsOf(9).map((e) => e.message)).toContain("The row has 4 cells, the header 5 (a missing or extra ,?)");
  });

  it("checks usage keys and optional columns", () => {
    const text = ["customer,feature,quantity,reason", "cus_1,api_calls,1,x"].join("\n");
    const file = ok(parseBulkFile("usage", text));
    expect(file.rows[0]!.values).toMatchObject({ row: { event_time: "", key: undefined } });
    const keyed = ok(
      parseBulkFile("usage", "customer,feature,quantity,reason,key\ncus_1,api_calls,1,x,ck_live_abcdefgh123"),
    );
    expect(keyed.rows[0]!.errors[0]).toMatchObject({ column: "key" });
  });

  it("refuses files that are not one of ours as a whole", () => {
    expect(refused(parseBulkFile("seats", ""))).toBe("The file is empty");
    expect(refused(parseBulkFile("seats", "customer,seat_type,operation,quantity,reason\n"))).toBe(
      "The file has a header but no rows",
    );
    expect(refused(parseBulkFile("seats", "customer,seat,operation,quantity,reason\na,b,add,1,x"))).toContain(
      "Unknown column “seat”",
    );
    expect(refused(parseBulkFile("usage", "customer,feature,reason\na,b,x"))).toContain("Missing column: quantity");
    expect(refused(parseBulkFile("usage", 'customer,feature,quantity,reason\na,"b,1,x'))).toContain(
      "The file is not valid CSV",
    );
    const many = [
      "customer,feature,quantity,reason",
      ...Array.from({ length: MAX_BULK_ROWS + 1 }, (_, i) => `c${i},f,1,x`),
    ];
    expect(refused(parseBulkFile("usage", many.join("\n")))).toContain("more than 10,000 rows");
    const exactly = [
      "customer,feature,quantity,reason",
      ...Array.from({ length: MAX_BULK_ROWS }, (_, i) => `c${i},f,1,x`),
    ];
    expect(ok(parseBulkFile("usage", exactly.join("\n"))).rows).toHaveLength(MAX_BULK_ROWS);
  });

  it("hashes the file's bytes: the same content is the same batch, one byte more is another", () => {
    const a = ok(parseBulkFile("usage", bulkTemplateCsv("usage")));
    const b = ok(parseBulkFile("usage", bulkTemplateCsv("usage")));
    const c = ok(parseBulkFile("usage", `${bulkTemplateCsv("usage")}\n`));
    expect(a.hash).toBe(b.hash);
    expect(a.hash).not.toBe(c.hash);
  });
});
