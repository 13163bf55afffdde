#!/usr/bin/env bash
# The one test command (README: `npm test`). On a fresh machine it installs what the tests need:
# npm packages, Debian's chromium for Playwright, and PostgreSQL (a throwaway cluster when none answers).
set -euo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-}"

echo "== npm packages"
npm install --no-audit --no-fund --loglevel=error

echo "== chromium"
if [ ! -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version

echo "== postgresql"
source scripts/ensure-postgres.sh

echo "== typecheck, lint, format"
npx tsc --noEmit
npx eslint . --max-warnings=0
npx prettier --check . --log-level=warn

# Built before vitest: the tests that run the console as `npm start` does (two instances, the ready line) use it.
echo "== production build"
npx remix vite:build

echo "== unit, contract and database tests (vitest)"
npx vitest run

echo "== browser tests (playwright)"
npx playwright test
