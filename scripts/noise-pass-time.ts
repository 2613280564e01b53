// Times eager DP-SGD's fused dense-noise pass (shaders/table_noise.wgsl) on one table: the scalar
// entry (one quad per thread, 64 threads: the kernel before the vec4 one) against the vec4 entry
// the engine uses when dim % 4 == 0. Prints medians; a benchmark, not a test.
//   node scripts/build-cli.mjs --quiet --entry scripts/noise-pass-time.ts --out dist-cli/noise-pass-time.mjs
//   node dist-cli/noise-pass-time.mjs [rows] [dim] [reps]      (default 262144 64 7)
import '../src/node/float16-shim'; // before webgpu-utils loads (Node 20)
import { getNodeAdapter } from '../src/node/dawn';
import { requestLabDevice } from '../src/engine/device';
import { encode } from '../src/kernels/program';
import { StepUniform } from '../src/kernels/step';
import { tableNoiseFused, QUADS_PER_THREAD } from '../src/kernels/noise';
import { seedToKey } from '../src/noise/philox';

const arg = (i: number, def: number) => Number(process.argv[i] ?? def);
const [rows, D, reps] = [arg(2, 2 ** 18), arg(3, 64), arg(4, 7)];
const { adapter, note } = await getNodeAdapter();
if (note) console.error(note);
const device = await requestLabDevice(adapter);
const info = adapter.info;
console.log(`device: ${info.vendor} ${info.architecture} ${info.description}`.trim());
const E = device.createBuffer({ size: rows * D * 4, usage: GPUBufferUsage.STORAGE });
const st = new StepUniform(device, { step: 1, lr: 0.1, invB: 1 / 64, noiseStd: 1, key: seedToKey('1') }).buffer;
const p = { rows, D, table: 0, rowStart: 0 };

// Runs both entries alternately, so that a change in the machine's load (shared here) hits both.
const dispatches = [true, false].map((scalar) => tableNoiseFused(device, p, { st, E }, { scalar }));
const ms: number[][] = [[], []];
for (let i = 0; i <= reps; i++) {
  for (let k = 0; k < 2; k++) {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    encode(pass, dispatches[k]);
    pass.end();
    const t0 = performance.now();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    if (i > 0) ms[k].push(performance.now() - t0); // the first run compiles and warms up
  }
}
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

const bytes = 2 * rows * D * 4; // every value read and written once
console.log(`fused dense noise, ${rows} rows x dim ${D} (${(rows * D * 4) / 2 ** 20} MiB), median of ${reps}:`);
const names = [
  'scalar (before): 1 quad/thread, 64 threads',
  `vec4 (after): ${QUADS_PER_THREAD} quads/thread, 256 threads`,
];
for (let k = 0; k < 2; k++) {
  const m = median(ms[k]);
  console.log(`  ${names[k].padEnd(44)} ${m.toFixed(1)} ms  ${(bytes / m / 1e6).toFixed(2)} GB/s`);
}
console.log(`  vec4 / scalar time: ${(median(ms[1]) / median(ms[0])).toFixed(2)}`);
device.destroy();
