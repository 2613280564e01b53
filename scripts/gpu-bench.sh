#!/usr/bin/env bash
# The benchmark for a lent GPU machine, in one call that fits its 10-minute limit:
#   npm run build:cli && bash ../shared/gpu/pack.sh      (here)
#   run: bash .gpu/remote.sh bash scripts/gpu-bench.sh   (carry: .gpu, dist-cli)
# Runs bench's fixed set (docs/performance.md) and writes its JSON and Markdown under $OUT (or
# bench-out/). Sizes come from the environment so the same script runs small on SwiftShader:
# SHAPE_ROWS (rows per table of the benchmark shape), SHAPE_STEPS, STEPS (default configuration),
# SWEEP (total rows of the default configuration's sweep), ALGOS; unset: bench's defaults.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-bench-out}
mkdir -p "$out"
cli=(node dist-cli/cli.mjs)
args=(--json --out "$out")
[ -n "${SHAPE_ROWS:-}" ] && args+=(--shape-rows "$SHAPE_ROWS")
[ -n "${SHAPE_STEPS:-}" ] && args+=(--shape-steps "$SHAPE_STEPS")
[ -n "${STEPS:-}" ] && args+=(--steps "$STEPS")
[ -n "${SWEEP:-}" ] && args+=(--sweep "$SWEEP")
[ -n "${ALGOS:-}" ] && args+=(--algos "$ALGOS")
echo "== device"; "${cli[@]}" device --json | tee "$out/device.json"
echo "== correctness check (npm run build:gpucheck; carry dist-gpucheck)"
if [ -f dist-gpucheck/gpucheck.mjs ]; then node dist-gpucheck/gpucheck.mjs --json > "$out/gpucheck.json"; echo "rc $?"; fi
echo "== bench: default configuration, benchmark shape, table-size sweep"
"${cli[@]}" bench "${args[@]}" > "$out/set.json"; echo "rc $?"
echo "== a private training run on the default task (AUC, epsilon)"
"${cli[@]}" train --json --algo lazydp --steps 600 > "$out/train-lazydp.json"; echo "rc $?"
node -e '
const fs = require("fs");
let r; try { r = JSON.parse(fs.readFileSync(process.argv[1] + "/set.json", "utf8").trim().split("\n").pop()); } catch { console.log("set: no result"); process.exit(0); }
for (const x of r.results) console.log(x.section.padEnd(8), x.algo.padEnd(13), String(x.totalRows).padStart(10), x.error ? x.error :
  `step ${x.stepMedianMs.toFixed(3)} ms (p10-p90 ${x.stepP10Ms.toFixed(3)}-${x.stepP90Ms.toFixed(3)})  dispatches ${x.perStep.dispatches}` +
  `  upload ${(x.perStep.uploadBytes / 1024).toFixed(1)} KiB` + (x.densePassOfCopy ? `  dense pass ${(100 * x.densePassOfCopy).toFixed(0)}% of copy` : ""));
for (const l of r.links) console.log("lab link (" + l.section + "): " + l.url);' "$out"
