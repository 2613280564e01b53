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
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@"
rc=$?
[ $tsc_rc -ne 0 ] && rc=1
TSC_RC=$tsc_rc node -e '
const fs = require("fs");
let r; try { r = JSON.parse(fs.readFileSync("test-results/vitest.json", "utf8")); } catch { console.log(`${process.env.TSC_RC === "0" ? 1 : 0} passed, ${process.env.TSC_RC === "0" ? 1 : 2} failed`); process.exit(0); }
const extra = (r.testResults || []).filter(s => s.status === "failed" && !(s.assertionResults || []).some(a => a.status === "failed")).length;
const tscOk = process.env.TSC_RC === "0";
const failed = r.numFailedTests + extra + (tscOk ? 0 : 1);
if (r.numPendingTests) console.log(`${r.numPendingTests} skipped (a test that needs a tool CI lacks, e.g. Python safetensors)`);
console.log(`${r.numPassedTests + (tscOk ? 1 : 0)} passed, ${failed} failed`);
'
exit $rc
