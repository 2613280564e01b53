// How much to trust the stage times. Chrome rounds WebGPU timestamps to 100 µs unless
// developer features are on (a timing side-channel defence), which makes sub-0.1 ms stages
// read as 0 or 0.1: we say so instead of letting a chart suggest precision it lacks.

export const QUANTUM_MS = 0.1;

/**
 * True when every measured time is a multiple of 0.1 ms (medians of an even count may land
 * halfway, so 0.05 ms is accepted too). Needs a few non-zero values to be meaningful.
 */
export function looksQuantized(valuesMs: Iterable<number>, quantumMs = QUANTUM_MS): boolean {
  let nonZero = 0;
  const half = quantumMs / 2;
  for (const v of valuesMs) {
    if (!Number.isFinite(v)) continue;
    const k = v / half;
    if (Math.abs(k - Math.round(k)) > 1e-6 * Math.max(1, k)) return false;
    if (v !== 0) nonZero++;
  }
  return nonZero >= 4;
}

export interface TimestampProbe {
  supported: boolean;
  /** the raw timestamps are all multiples of this many nanoseconds (100000 in Chrome by default) */
  quantumNs?: number;
  /** small spans measured, in nanoseconds, for the device panel */
  spansNs?: number[];
  error?: string;
}

/** Largest of the usual quanta that divides every raw timestamp; 1 when none does. */
export function timestampQuantum(ticks: readonly bigint[]): number {
  for (const q of [100_000n, 10_000n, 1_000n, 100n, 10n])
    if (ticks.length > 0 && ticks.every((t) => t % q === 0n)) return Number(q);
  return 1;
}

/** Writes timestamps around a few tiny compute passes and looks at their resolution. */
export async function probeTimestamps(device: GPUDevice): Promise<TimestampProbe> {
  if (!device.features.has('timestamp-query')) return { supported: false };
  const passes = 8;
  try {
    device.pushErrorScope('validation');
    const module = device.createShaderModule({
      code: `@group(0) @binding(0) var<storage, read_write> x: array<f32>;
        @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
          var a = x[g.x];
          for (var i = 0u; i < 256u; i++) { a = a * 1.0001 + 0.5; }
          x[g.x] = a;
        }`,
    });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const buf = device.createBuffer({ size: 64 * 64 * 4, usage: GPUBufferUsage.STORAGE });
    const bg = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: buf } }],
    });
    const qs = device.createQuerySet({ type: 'timestamp', count: passes * 2 });
    const resolve = device.createBuffer({
      size: passes * 16,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    const read = device.createBuffer({ size: passes * 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    for (let i = 0; i < passes; i++) {
      const pass = enc.beginComputePass({
        timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
      });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bg);
      pass.dispatchWorkgroups(64);
      pass.end();
    }
    enc.resolveQuerySet(qs, 0, passes * 2, resolve, 0);
    enc.copyBufferToBuffer(resolve, 0, read, 0, passes * 16);
    device.queue.submit([enc.finish()]);
    const err = await device.popErrorScope();
    if (err) return { supported: true, error: err.message };
    await read.mapAsync(GPUMapMode.READ);
    const ticks = Array.from(new BigUint64Array(read.getMappedRange().slice(0)));
    read.unmap();
    for (const b of [buf, resolve, read]) b.destroy();
    qs.destroy();
    const spansNs = [];
    for (let i = 0; i < passes; i++) spansNs.push(Number(ticks[2 * i + 1] - ticks[2 * i]));
    return { supported: true, quantumNs: timestampQuantum(ticks.filter((t) => t !== 0n)), spansNs };
  } catch (e) {
    return { supported: true, error: (e as Error).message };
  }
}
