#!/usr/bin/env bash
# Runs every test (unit, GPU kernels on Dawn/SwiftShader, CLI, UI in the system Chromium) and
# ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@"
rc=$?
node -e '
const fs = require("fs");
let r; try { r = JSON.parse(fs.readFileSync("test-results/vitest.json", "utf8")); } catch { console.log("0 passed, 1 failed"); process.exit(0); }
const extra = (r.testResults || []).filter(s => s.status === "failed" && !(s.assertionResults || []).some(a => a.status === "failed")).length;
const failed = r.numFailedTests + extra;
console.log(`${r.numPassedTests} passed, ${failed} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
'
exit $rc
