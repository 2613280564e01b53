#!/usr/bin/env bash
# Runs every test (unit, GPU kernels on Dawn/SwiftShader, CLI, UI in the system Chromium) and
# ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results
rm -f test-results/vitest.json # never report an earlier run
# TypeScript strict is part of the suite (vitest strips types without checking them): it counts
# as one test in the summary line
echo "typecheck: tsc --noEmit"
npx tsc --noEmit -p .
tsc_rc=$?
# Lint (ESLint: typescript-eslint, lit) and format (Prettier) are part of the suite: one check each
echo "lint: eslint ."
npx eslint .
lint_rc=$?
echo "format: prettier --check ."
npx prettier --check . >/dev/null || npx prettier --list-different .
fmt_rc=$?
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@"
rc=$?
for x in $tsc_rc $lint_rc $fmt_rc; do [ "$x" -ne 0 ] && rc=1; done
CHECKS="$tsc_rc $lint_rc $fmt_rc" node -e '
const fs = require("fs");
// tsc, eslint and prettier count as one test each
const checks = process.env.CHECKS.split(" ").map(Number);
const okChecks = checks.filter((c) => c === 0).length, badChecks = checks.length - okChecks;
let r; try { r = JSON.parse(fs.readFileSync("test-results/vitest.json", "utf8")); } catch { console.log(`${okChecks} passed, ${badChecks + 1} failed`); process.exit(0); }
const extra = (r.testResults || []).filter(s => s.status === "failed" && !(s.assertionResults || []).some(a => a.status === "failed")).length;
const failed = r.numFailedTests + extra + badChecks;
if (r.numPendingTests) console.log(`${r.numPendingTests} skipped (a test that needs a tool CI lacks, e.g. Python safetensors)`);
console.log(`${r.numPassedTests + okChecks} passed, ${failed} failed`);
'
exit $rc
