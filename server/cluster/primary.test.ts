import { describe, expect, it } from "vitest";
import { workerExecArgv } from "./primary.ts";

describe("workerExecArgv", () => {
  it("keeps the primary's flags (the tsx loader) and gives workers a larger young generation", () => {
    expect(workerExecArgv(["--import", "tsx"], "")).toEqual(["--import", "tsx", "--max-semi-space-size=32"]);
  });

  it("leaves an operator's own young-generation size alone", () => {
    expect(workerExecArgv(["--max-semi-space-size=8"], "")).toEqual(["--max-semi-space-size=8"]);
    expect(workerExecArgv(["--import", "tsx"], "--max-semi-space-size=64")).toEqual(["--import", "tsx"]);
  });
});
