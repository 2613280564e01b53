#!/usr/bin/env bash
# The benchmark for a lent GPU machine, in one call within its time limit:
#   here:  npm run -s build:cli && bash ../shared/gpu/pack.sh
#   there: bash .gpu/remote.sh bash scripts/gpu-bench.sh   (carry .gpu, dist-cli; dist-gpucheck if built)
# In order: the GPU correctness check (when bundled), the device, bench's fixed set
# (docs/performance.md), a LazyDP training run. Everything lands under $OUT as it is measured:
# bench rewrites its bench-<date>.json and .md after every case ("complete": false until the
# last), so a call cut off by the time limit still returns what it measured.
# Sizes from the environment, each alone or together (unset: bench's defaults):
#   SHAPE_ROWS   rows per table of the benchmark shape, comma-separated   (bench --shape-rows)
#   SHAPE_STEPS  steps of each run of the shape                           (bench --shape-steps)
#   SHAPE_BATCH  batch of the shape; 2048 is issue 10's, less for a try   (bench --shape-batch)
#   STEPS        steps of the default configuration and of the sweep      (bench --steps)
#   SWEEP        total table rows of the sweep, comma-separated           (bench --sweep)
#   ALGOS        algorithms of every section, comma-separated             (bench --algos)
#   AUDIT        on|off: the set's closing power audit, dpsgd and lazydp   (bench --audit; default on)
#   TRAIN_STEPS  steps of the training run (default 600)
#   GPUCHECK     'skip' leaves the correctness check out; GPUCHECK_ONLY=text runs the checks naming it
#   OUT          the folder for all of it (default bench-out)
# Tiny, on SwiftShader (tests/cli/gpu-bench-script.test.ts): SHAPE_ROWS=256 SHAPE_STEPS=1
# SHAPE_BATCH=64 STEPS=3 SWEEP=1e3 ALGOS=sgd,lazydp TRAIN_STEPS=3 AUDIT=off.
# Exit status 0 when every step succeeded, 1 otherwise (each step prints its rc).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-bench-out}
mkdir -p "$out" || exit 1
if [ ! -f dist-cli/cli.mjs ]; then
  echo "dist-cli/cli.mjs is missing: run npm run -s build:cli here and carry dist-cli" >&2
  exit 1
fi
cli=(node dist-cli/cli.mjs)
failed=0
rc() { echo "rc $1"; [ "$1" -eq 0 ] || failed=1; }

echo "== correctness check"
# The bundled GPU correctness check (the GPU-readiness work builds dist-gpucheck/gpucheck.mjs):
# first, so a device that computes wrong is known before its timings are read.
if [ "${GPUCHECK:-}" = skip ]; then
  echo "skipped: GPUCHECK=skip"
elif [ -f dist-gpucheck/gpucheck.mjs ]; then
  node dist-gpucheck/gpucheck.mjs --json ${GPUCHECK_ONLY:+--only "$GPUCHECK_ONLY"} > "$out/gpucheck.json" 2> "$out/gpucheck.txt"
  rc $?
  tail -n 20 "$out/gpucheck.txt"
else
  echo "skipped: dist-gpucheck/gpucheck.mjs is not there"
fi

echo "== device"
"${cli[@]}" device --json | tee "$out/device.json"
rc "${PIPESTATUS[0]}"

echo "== bench: default configuration, benchmark shape, table-size sweep"
args=(--out "$out")
[ -n "${SHAPE_ROWS:-}" ] && args+=(--shape-rows "$SHAPE_ROWS")
[ -n "${SHAPE_STEPS:-}" ] && args+=(--shape-steps "$SHAPE_STEPS")
[ -n "${SHAPE_BATCH:-}" ] && args+=(--shape-batch "$SHAPE_BATCH")
[ -n "${STEPS:-}" ] && args+=(--steps "$STEPS")
[ -n "${SWEEP:-}" ] && args+=(--sweep "$SWEEP")
[ -n "${ALGOS:-}" ] && args+=(--algos "$ALGOS")
[ -n "${AUDIT:-}" ] && args+=(--audit "$AUDIT")
# a line per case as it finishes (stdout, and bench.txt); the JSON and Markdown are bench's files
"${cli[@]}" bench "${args[@]}" 2>&1 | tee "$out/bench.txt"
rc "${PIPESTATUS[0]}"

echo "== a private training run on the default task (AUC, epsilon)"
"${cli[@]}" train --json --algo lazydp --steps "${TRAIN_STEPS:-600}" > "$out/train-lazydp.json"
rc $?

echo "== summary"
node -e '
const fs = require("fs"), path = require("path");
const dir = process.argv[1];
const name = fs.readdirSync(dir).filter((n) => /^bench-.*\.json$/.test(n)).sort().pop();
if (!name) { console.log("bench: no results file"); process.exit(0); }
const r = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8"));
console.log(`${name}: ${r.results.length} of ${r.cases} cases${r.complete ? "" : " (incomplete)"}`);
for (const x of r.results) console.log(x.section.padEnd(8), x.algo.padEnd(13), String(x.totalRows).padStart(10), x.error ? (x.failed ? "failed: " : "skipped: ") + x.error :
  `step ${x.stepMedianMs.toFixed(3)} ms (p10-p90 ${x.stepP10Ms.toFixed(3)}-${x.stepP90Ms.toFixed(3)})  dispatches ${x.perStep.dispatches}` +
  `  upload ${(x.perStep.uploadBytes / 1024).toFixed(1)} KiB` + (x.densePassOfCopy ? `  dense pass ${(100 * x.densePassOfCopy).toFixed(0)}% of copy` : ""));
for (const l of r.links) console.log("lab link (" + l.section + "): " + l.url);' "$out"
exit "$failed"
