import path from "node:path";
import { defineConfig } from "vitest/config";

// Unit, contract and database tests of server code sit beside it (`server/**/*.test.ts`).
export default defineConfig({
  resolve: {
    alias: { "~": path.resolve(import.meta.dirname, "app") },
  },
  test: {
    include: ["server/**/*.test.ts", "app/**/*.test.ts"],
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
