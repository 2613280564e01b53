#!/usr/bin/env bash
# The benchmark for a lent GPU machine, in one call that fits its 10-minute limit:
#   npm run build:cli && bash ../shared/gpu/pack.sh      (here)
#   run: bash .gpu/remote.sh bash scripts/gpu-bench.sh   (carry: .gpu, dist-cli)
# Writes JSON under $OUT (or bench-out/). Sizes come from the environment so the same script runs
# small on SwiftShader: SWEEP (total rows), TABLES (count), DIM, BATCH, POOLING, STEPS, LIMIT (GiB).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-bench-out}
mkdir -p "$out"
SWEEP=${SWEEP:-1048576,16777216,134217728}
TABLES=${TABLES:-8}
DIM=${DIM:-64}
BATCH=${BATCH:-2048}
POOLING=${POOLING:-20}
STEPS=${STEPS:-20}
LIMIT=${LIMIT:-120}
cli=(node dist-cli/cli.mjs)
tables=$(printf '1%.0s,' $(seq "$TABLES")); tables=${tables%,}
echo "== device"; "${cli[@]}" device --json | tee "$out/device.json"
echo "== default configuration"
"${cli[@]}" bench --json > "$out/default.json"; echo "rc $?"
echo "== table-size sweep: $TABLES tables, dim $DIM, batch $BATCH, pooling $POOLING, totals $SWEEP"
"${cli[@]}" bench --json --tables "$tables" --dim "$DIM" --batch "$BATCH" --pooling "$POOLING" --dataset-size $((BATCH * 64)) \
  --steps "$STEPS" --memory-limit "$LIMIT" --sweep "$SWEEP" > "$out/sweep.json"; echo "rc $?"
echo "== a private training run on the default task (AUC, epsilon)"
"${cli[@]}" train --json --algo lazydp --steps 600 > "$out/train-lazydp.json"; echo "rc $?"
node -e '
const fs = require("fs");
for (const f of ["default", "sweep"]) {
  let r; try { r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + f + ".json", "utf8").trim().split("\n").pop()); } catch { console.log(f + ": no result"); continue; }
  for (const x of r.results) console.log(f, x.algo.padEnd(13), String(x.totalRows).padStart(10), x.error ? x.error : `step ${x.stepMedianMs.toFixed(3)} ms` + (x.densePassGBps ? `  dense pass ${x.densePassGBps.toPrecision(3)} GB/s` : ""));
}' "$out"
