import fs from "node:fs";
import path from "node:path";

/**
 * The browser bundle must carry no secrets and no server code. The build
 * already refuses server/** imports (vite.config.ts, denyImports); this
 * checks the output itself: no Commet API key (ck_…) or webhook secret
 * (whsec_…), and none of the SDK's or the server's tell-tale strings.
 */
const forbidden: Array<[RegExp, string]> = [
  [/ck_[A-Za-z0-9_-]{4,}/, "a Commet API key (ck_…)"],
  [/whsec_[A-Za-z0-9_-]{4,}/, "a webhook secret (whsec_…)"],
  [/commet-node\//, "the @commet/node SDK"],
  [/x-api-key/i, "Commet request headers"],
  [/sandbox-credentials\.json/, "server/commet (sandbox credentials)"],
];

export function findClientBundleLeaks(clientDir: string): string[] {
  const leaks: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.(js|mjs|css|html|json|map)$/.test(entry.name)) {
        const text = fs.readFileSync(file, "utf8");
        for (const [pattern, what] of forbidden) {
          const match = pattern.exec(text);
          if (match) leaks.push(`${path.relative(clientDir, file)} contains ${what}: "${match[0]}"`);
        }
      }
    }
  };
  walk(clientDir);
  return leaks;
}
