// shaders/lib/philox.wgsl against the TypeScript reference src/noise/philox.ts, on a real WebGPU
// device: Random123 known answers, bit-exact words, normals within a stated tolerance, the
// distribution of the GPU normals, and the (table, row, col, step) addressing of every draw.
import { beforeAll, describe, expect, it } from 'vitest';
import lib from '../../shaders/lib/philox.wgsl?raw';
import code from '../../shaders/test_philox.wgsl?raw';
import {
  eagerTableNoise,
  lazyTableNoise,
  mlpNoise,
  normals4,
  philox4x32,
  seedToKey,
  u01,
  type Key,
} from '../../src/noise/philox';
import { getTestDevice, makeBuffer, readBuffer, withValidation } from '../helpers/gpu';

// Known-answer vectors from Random123's kat_vectors: counter, key -> output.
const KAT: Array<[number[], number[], number[]]> = [
  [
    [0, 0, 0, 0],
    [0, 0],
    [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
  ],
  [
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    [0xffffffff, 0xffffffff],
    [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  ],
  [
    [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    [0xa4093822, 0x299f31d0],
    [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  ],
];

// GPU normals vs the double-precision TS reference, |gpu - ts| <= ABS_TOL + RAD_TOL * rad, where
// rad = hypot(z_a, z_b) is the radius of the draw's Box-Muller pair:
// - RAD_TOL: z = rad * cos(angle), and WGSL bounds cos/sin only to 2^-11 absolute on [-pi, pi];
//   SwiftShader is that coarse (measured 1.9e-4 * rad, with log's relative error included).
// - ABS_TOL: where u_a is near 1 (rad -> 0), u rounded to f32 (see philox_u01) and log's absolute
//   error near 1 dominate: rad is 2^-11.5 on the GPU vs 2^-12 in TS for the top word; SwiftShader's
//   radius is off by at most 1.62e-4 over all 2^24 uniforms (measured once; the test below sweeps
//   the ends exhaustively). WGSL only bounds log to 2^-21 absolute near 1, which allows ~1e-3 there.
const ABS_TOL = 2.5e-4;
const RAD_TOL = 2 ** -11;
/** gpu vs ref, where partner is the other normal of ref's Box-Muller pair (same radius). */
const within = (gpu: number, ref: number, partner: number) =>
  Math.abs(gpu - ref) <= ABS_TOL + RAD_TOL * Math.hypot(ref, partner);

const hex = (w: ArrayLike<number>) => Array.from(w, (x) => (x >>> 0).toString(16).padStart(8, '0')).join(' ');

/** Deterministic test inputs (mulberry32): the inputs only need to be varied, not random. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

type Entry = 'main' | 'raw' | 'addressing' | 'stats';
// Bindings each entry point uses ('auto' layouts hold only those).
const BINDINGS: Record<Entry, number[]> = { main: [0, 1, 2, 3], raw: [0, 1, 3], addressing: [0, 1, 3], stats: [0, 3] };

let device: GPUDevice;
const pipelines = new Map<Entry, GPUComputePipeline>();

beforeAll(async () => {
  device = await getTestDevice();
  const module = device.createShaderModule({ code: lib + '\n' + code });
  await withValidation(device, async () => {
    for (const entry of Object.keys(BINDINGS) as Entry[]) {
      pipelines.set(entry, device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: entry } }));
    }
  });
});

/** Runs one entry point over `n` rows of vec4<u32> `inp`; `normalRows` vec4<f32> rows come back. */
async function run(entry: Entry, key: Key, n: number, inp: Uint32Array | null, normalRows: number, step = 0) {
  const params = new Uint32Array([key[0], key[1], n, step]);
  const bufs: Record<number, GPUBuffer> = {
    0: makeBuffer(device, params, GPUBufferUsage.UNIFORM),
    1: makeBuffer(device, inp ?? new Uint32Array(4)),
    2: device.createBuffer({ size: Math.max(16, n * 16), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC }),
    3: device.createBuffer({
      size: Math.max(16, normalRows * 16),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    }),
  };
  const pipeline = pipelines.get(entry)!;
  const bg = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: BINDINGS[entry].map((b) => ({ binding: b, resource: { buffer: bufs[b] } })),
  });
  const groups = Math.ceil(n / 64);
  const gx = Math.min(groups, 32768);
  await withValidation(device, () => {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(gx, Math.ceil(groups / gx));
    pass.end();
    device.queue.submit([enc.finish()]);
  });
  const words = entry === 'main' ? new Uint32Array(await readBuffer(device, bufs[2])) : new Uint32Array(0);
  const normals = new Float32Array(await readBuffer(device, bufs[3]));
  for (const b of Object.values(bufs)) b.destroy();
  return { words, normals };
}

describe('Philox4x32-10 known answers (Random123)', () => {
  it('TS reference', () => {
    for (const [c, k, out] of KAT) expect(hex(philox4x32(c[0], c[1], c[2], c[3], k[0], k[1]))).toBe(hex(out));
  });

  it('WGSL', async () => {
    for (const [c, k, out] of KAT) {
      const { words } = await run('main', [k[0], k[1]], 1, new Uint32Array(c), 1);
      expect(hex(words)).toBe(hex(out));
    }
  });
});

describe('WGSL vs TS reference', () => {
  // Counter words: edge values, the lazy/MLP stream tags and random words.
  const EDGE = [0, 1, 2, 3, 0xffffffff, 0xfffffffe, 0x7fffffff, 0x80000000, 0x40000000, 0xffff, 0x10000, 0x80000001];
  const KEYS: Key[] = [[0, 0], [0xffffffff, 0xffffffff], seedToKey(42n), seedToKey('18446744073709551557')];
  const PER_KEY = 25_000; // 100k counters in all

  it('words bit for bit and normals within tolerance for 100k counters', async () => {
    const next = rng(7);
    let maxAbs = 0,
      maxByRad = 0,
      worst = '';
    for (const key of KEYS) {
      const ctr = new Uint32Array(PER_KEY * 4);
      for (let i = 0; i < ctr.length; i++) {
        const pick = next() % 8;
        ctr[i] = pick < 2 ? EDGE[next() % EDGE.length] : next();
      }
      // Every third counter gets a fourth word as the streams use it: table index, lazy tag | table, MLP tag.
      for (let i = 0; i < PER_KEY; i += 3) {
        const t = next() & 0x1fffffff;
        ctr[4 * i + 3] = [t, (0x80000000 | t) >>> 0, 0x40000000][(i / 3) % 3];
      }
      const { words, normals } = await run('main', key, PER_KEY, ctr, PER_KEY);
      for (let i = 0; i < PER_KEY; i++) {
        const ref = philox4x32(ctr[4 * i], ctr[4 * i + 1], ctr[4 * i + 2], ctr[4 * i + 3], key[0], key[1]);
        for (let j = 0; j < 4; j++) {
          if (words[4 * i + j] !== ref[j]) {
            throw new Error(
              `word mismatch at counter ${hex(ctr.subarray(4 * i, 4 * i + 4))} key ${hex(key)}: GPU ${hex(words.subarray(4 * i, 4 * i + 4))} TS ${hex(ref)}`,
            );
          }
        }
        const z = normals4(ref);
        for (let j = 0; j < 4; j++) {
          const g = normals[4 * i + j];
          const d = Math.abs(g - z[j]);
          if (d > maxAbs) {
            maxAbs = d;
            worst = `z=${z[j]} gpu=${g} words ${hex(ref)}`;
          }
          maxByRad = Math.max(maxByRad, (d - ABS_TOL) / Math.hypot(z[j], z[j ^ 1]));
          if (!within(g, z[j], z[j ^ 1]))
            throw new Error(`normal ${j} off by ${d}: z=${z[j]} gpu=${g} words ${hex(ref)}`);
        }
      }
    }
    console.log(
      `philox WGSL vs TS: 100000 counters, words identical; normals max abs err ${maxAbs.toExponential(2)} (${worst}); max (err - ${ABS_TOL}) / rad = ${maxByRad.toExponential(2)} (tolerance ${RAD_TOL.toExponential(2)})`,
    );
  });

  it('worst-case words: u01 strictly inside (0, 1), normals finite and close to TS', async () => {
    const vals = [0, 0xff, 0x100, 0x7fffff, 0x800000, 0x7fffffff, 0x80000000, 0xfffffeff, 0xffffff00, 0xffffffff];
    const rows: number[] = [];
    for (const a of vals) for (const b of vals) rows.push(a, b, b, a);
    const inp = new Uint32Array(rows);
    const n = rows.length / 4;
    const { normals } = await run('raw', [0, 0], n, inp, 2 * n);
    let maxAbs = 0;
    for (let i = 0; i < 4 * n; i++) {
      const u = normals[i];
      expect(u > 0 && u < 1, `u01(${hex([inp[i]])}) = ${u}`).toBe(true);
      // The f32 rounding of the exact (x>>8 + 0.5)/2^24, except the top word that would round to 1.
      const ref = inp[i] >>> 8 === 0xffffff ? 1 - 2 ** -24 : Math.fround(u01(inp[i]));
      expect(u).toBe(ref);
    }
    for (let i = 0; i < n; i++) {
      const z = normals4(inp.subarray(4 * i, 4 * i + 4));
      for (let j = 0; j < 4; j++) {
        const g = normals[4 * n + 4 * i + j];
        expect(Number.isFinite(g)).toBe(true);
        maxAbs = Math.max(maxAbs, Math.abs(g - z[j]));
        expect(
          within(g, z[j], z[j ^ 1]),
          `normals4(${hex(inp.subarray(4 * i, 4 * i + 4))})[${j}]: GPU ${g} TS ${z[j]}`,
        ).toBe(true);
      }
    }
    // The largest normal a 24-bit uniform can give: sqrt(-2 ln 2^-25).
    expect(Math.max(...Array.from(normals.subarray(4 * n), Math.abs))).toBeCloseTo(Math.sqrt(50 * Math.LN2), 4);
    console.log(`philox worst-case words: normals max abs err ${maxAbs.toExponential(2)}`);
  });

  it('2^24 uniforms (ends exhaustive, middle strided): u01 exact, radius and angle within tolerance', async () => {
    // Row for k = x >> 8: pair (u_a = k, u_b ~ 0) gives z_a ~ rad(k); pair (rad = 1, u_b = k) sweeps
    // the angle. Every k in the 2^20 nearest u = 0 (largest rad) and u = 1 (f32 rounding, clamp,
    // log near 1), every 7th between (odd and even k alike). Low 8 bits vary to show they are ignored.
    const K = 1 << 24,
      END = 1 << 20;
    const ks: number[] = [];
    for (let k = 0; k < K; k += k < END || k >= K - END ? 1 : 7) ks.push(k);
    const CH = 1 << 19;
    const RAD1 = Math.round(Math.exp(-0.5) * K - 0.5) * 256; // -2 ln u = 1
    let radErr = 0,
      radAt = 0,
      angErr = 0,
      angAt = 0,
      bad = '';
    for (let base = 0; base < ks.length; base += CH) {
      const n = Math.min(CH, ks.length - base);
      const inp = new Uint32Array(4 * n);
      for (let i = 0; i < n; i++) {
        const k = ks[base + i];
        inp[4 * i] = ((k << 8) | (k & 0xff)) >>> 0;
        inp[4 * i + 1] = 0;
        inp[4 * i + 2] = RAD1;
        inp[4 * i + 3] = ((k << 8) | (~k & 0xff)) >>> 0;
      }
      const { normals } = await run('raw', [0, 0], n, inp, 2 * n);
      for (let i = 0; i < n && !bad; i++) {
        const k = ks[base + i];
        const uRef = k === K - 1 ? 1 - 2 ** -24 : Math.fround(u01(inp[4 * i]));
        if (normals[4 * i] !== uRef || normals[4 * i + 3] !== uRef)
          bad = `u01 of ${hex([inp[4 * i]])}: GPU ${normals[4 * i]} expected ${uRef}`;
        const z = normals4(inp.subarray(4 * i, 4 * i + 4));
        const o = 4 * n + 4 * i;
        for (let j = 0; j < 4; j++)
          if (!within(normals[o + j], z[j], z[j ^ 1]))
            bad = `normals4(${hex(inp.subarray(4 * i, 4 * i + 4))})[${j}]: GPU ${normals[o + j]} TS ${z[j]}`;
        const dr = Math.abs(normals[o] - z[0]);
        if (dr > radErr) [radErr, radAt] = [dr, k];
        const da = Math.max(Math.abs(normals[o + 2] - z[2]), Math.abs(normals[o + 3] - z[3])) / Math.hypot(z[2], z[3]);
        if (da > angErr) [angErr, angAt] = [da, k];
      }
      expect(bad).toBe('');
    }
    console.log(
      `philox ${ks.length} of 2^24 uniforms: u01 exact; max radius err ${radErr.toExponential(2)} (x>>8 = ${hex([radAt])}); max angle err ${angErr.toExponential(2)} * rad (x>>8 = ${hex([angAt])})`,
    );
  });
});

/** Standard normal CDF via Numerical Recipes' erfcc Chebyshev fit (fractional error < 1.2e-7). */
function normCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
}

/** Kolmogorov distribution: P(K > x) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2). */
function kolmogorovSf(x: number): number {
  let s = 0;
  for (let k = 1; k <= 100; k++) s += (k % 2 ? 2 : -2) * Math.exp(-2 * k * k * x * x);
  return s;
}

/** Upper quantile by bisection of a decreasing survival function. */
function upperQuantile(sf: (x: number) => number, p: number, lo: number, hi: number): number {
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (sf(mid) > p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Chi-square survival function with k degrees of freedom (regularized upper gamma by series/continued fraction). */
function chiSquareSf(x: number, k: number): number {
  const a = k / 2,
    y = x / 2;
  const lgam = (z: number) => {
    // Lanczos (g=7, n=9)
    const c = [
      0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
      12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];
    z -= 1;
    let s = c[0];
    for (let i = 1; i < 9; i++) s += c[i] / (z + i);
    const t = z + 7.5;
    return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
  };
  if (y < a + 1) {
    let term = 1 / a,
      sum = term;
    for (let n = 1; n < 1000; n++) {
      term *= y / (a + n);
      sum += term;
    }
    return 1 - sum * Math.exp(-y + a * Math.log(y) - lgam(a));
  }
  let b = y + 1 - a,
    c = 1e300,
    d = 1 / b,
    h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    d = 1 / d;
    c = b + an / c;
    h *= d * c;
  }
  return Math.exp(-y + a * Math.log(y) - lgam(a)) * h;
}

describe('distribution of GPU normals (eager layout, fixed seed)', () => {
  const N = 1 << 20; // draws: 2^18 counters of table 0, 256 rows x 1024 quads, step 7
  let z: Float32Array;

  beforeAll(async () => {
    z = (await run('stats', seedToKey(20240611n), N / 4, null, N / 4, 7)).normals;
  });

  it('matches the TS eager reference on a sample', () => {
    const key = seedToKey(20240611n);
    for (let i = 0; i < N; i += 4099) {
      const q = i >> 2,
        r = q >> 10,
        c = 4 * (q & 1023) + (i & 3);
      const ref = eagerTableNoise(key, 0, r, c, 7);
      expect(within(z[i], ref, eagerTableNoise(key, 0, r, c ^ 1, 7)), `row ${r} col ${c}: GPU ${z[i]} TS ${ref}`).toBe(
        true,
      );
    }
  });

  it('finite; moments within 5 standard errors', () => {
    let s1 = 0,
      s2 = 0,
      s3 = 0,
      s4 = 0,
      lag = 0,
      maxAbs = 0,
      nonFinite = 0;
    for (let i = 0; i < N; i++) {
      const x = z[i];
      if (!Number.isFinite(x)) nonFinite++;
      s1 += x;
      s2 += x * x;
      s3 += x * x * x;
      s4 += x * x * x * x;
      if (i > 0) lag += x * z[i - 1];
      maxAbs = Math.max(maxAbs, Math.abs(x));
    }
    const mean = s1 / N;
    const v = s2 / N - mean * mean;
    const skew = (s3 / N - 3 * mean * v - mean ** 3) / v ** 1.5;
    const kurt = (s4 / N - 4 * mean * (s3 / N) + 6 * mean * mean * (s2 / N) - 3 * mean ** 4) / (v * v) - 3;
    const lag1 = (lag / (N - 1) - mean * mean) / v;
    // Standard errors for N iid N(0,1) draws: mean 1/sqrt(N), variance sqrt(2/N),
    // skewness sqrt(6/N), excess kurtosis sqrt(24/N), lag-1 correlation 1/sqrt(N).
    console.log(
      `philox GPU normals N=${N}: mean ${mean.toExponential(2)} var ${v.toFixed(5)} skew ${skew.toExponential(2)} exkurt ${kurt.toExponential(2)} lag1 ${lag1.toExponential(2)} max|z| ${maxAbs.toFixed(3)}`,
    );
    expect(nonFinite).toBe(0);
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(v - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    expect(Math.abs(skew)).toBeLessThan(5 * Math.sqrt(6 / N));
    expect(Math.abs(kurt)).toBeLessThan(5 * Math.sqrt(24 / N));
    expect(Math.abs(lag1)).toBeLessThan(5 / Math.sqrt(N));
    expect(maxAbs).toBeLessThanOrEqual(Math.sqrt(50 * Math.LN2) + 1e-3); // the largest 24-bit Box-Muller radius
  });

  it('Kolmogorov-Smirnov and chi-square (50 equiprobable bins) against N(0,1) at p = 1e-3', () => {
    const sorted = Float64Array.from(z).sort();
    let d = 0;
    const bins = new Float64Array(50);
    for (let i = 0; i < N; i++) {
      const f = normCdf(sorted[i]);
      d = Math.max(d, (i + 1) / N - f, f - i / N);
      bins[Math.min(49, Math.floor(50 * f))]++;
    }
    // KS: reject when sqrt(N) D (Stephens' finite-N correction) exceeds the Kolmogorov 1e-3 quantile.
    const kCrit = upperQuantile(kolmogorovSf, 1e-3, 0.5, 3); // 1.9495
    const ksStat = d * (Math.sqrt(N) + 0.12 + 0.11 / Math.sqrt(N));
    const expected = N / 50;
    const chi2 = bins.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
    const chiCrit = upperQuantile((x) => chiSquareSf(x, 49), 1e-3, 30, 200); // 85.35
    console.log(
      `philox GOF: KS D=${d.toExponential(3)} sqrt(N)D=${ksStat.toFixed(3)} (crit ${kCrit.toFixed(4)}, p=${kolmogorovSf(ksStat).toFixed(3)}); chi2(49)=${chi2.toFixed(2)} (crit ${chiCrit.toFixed(2)}, p=${chiSquareSf(chi2, 49).toFixed(3)})`,
    );
    expect(kCrit).toBeCloseTo(1.9495, 3);
    expect(chiCrit).toBeCloseTo(85.35, 1);
    expect(ksStat).toBeLessThan(kCrit);
    expect(chi2).toBeLessThan(chiCrit);
  });
});

describe('noise addressing (noise_eager / noise_lazy / noise_mlp)', () => {
  const key = seedToKey('12345678901234567890');

  it('agrees with eagerTableNoise / lazyTableNoise / mlpNoise on a grid incl. large rows and steps', async () => {
    const tables = [0, 1, 7, 0x1fffffff];
    const rowsSet = [0, 1, 1023, 65536, 0x7fffffff, 0xffffffff];
    const cols = [0, 1, 2, 3, 4, 5, 127, 4095, 0xfffffff0, 0xffffffff];
    const steps = [1, 2, 1000, 0x7fffffff, 0xffffffff];
    const grid: number[] = [];
    for (const t of tables) for (const r of rowsSet) for (const c of cols) for (const s of steps) grid.push(t, r, c, s);
    const inp = new Uint32Array(grid);
    const n = grid.length / 4;
    const { normals } = await run('addressing', key, n, inp, 3 * n);
    // The helpers must be philox_normals4(philox4x32_10(counter)) for the documented counters:
    // same GPU code, so bit for bit.
    const ctr = new Uint32Array(12 * n);
    for (let i = 0; i < n; i++) {
      const [t, r, c, s] = inp.subarray(4 * i, 4 * i + 4);
      ctr.set([c >>> 2, r, s, t, c >>> 2, r, s, (0x80000000 | t) >>> 0, c >>> 2, t, s, 0x40000000], 12 * i);
    }
    const direct = await run('main', key, 3 * n, ctr, 3 * n);
    expect(new Uint32Array(normals.buffer)).toEqual(new Uint32Array(direct.normals.buffer));
    for (let i = 0; i < n; i++) {
      const [t, r, c, s] = inp.subarray(4 * i, 4 * i + 4);
      const base = c - (c & 3); // all four columns of the quad
      for (let j = 0; j < 4; j++) {
        const col = base + j;
        const where = `t=${t} r=${r} c=${col} s=${s}`;
        const p = (col ^ 1) >>> 0; // Box-Muller partner column
        expect(
          within(normals[12 * i + j], eagerTableNoise(key, t, r, col, s), eagerTableNoise(key, t, r, p, s)),
          `eager ${where}`,
        ).toBe(true);
        expect(
          within(normals[12 * i + 4 + j], lazyTableNoise(key, t, r, col, s), lazyTableNoise(key, t, r, p, s)),
          `lazy ${where}`,
        ).toBe(true);
        expect(within(normals[12 * i + 8 + j], mlpNoise(key, t, col, s), mlpNoise(key, t, p, s)), `mlp ${where}`).toBe(
          true,
        );
      }
    }
  });

  it('eager, lazy and MLP streams are uncorrelated for the same (t, r, c, s)', async () => {
    const next = rng(99);
    const n = 16384; // 65536 draws per stream
    const inp = new Uint32Array(4 * n);
    for (let i = 0; i < n; i++) inp.set([next() % 26, next() % 100000, next() % 4096, 1 + (next() % 10000)], 4 * i);
    const { normals } = await run('addressing', key, n, inp, 3 * n);
    const pick = (k: number) =>
      Float64Array.from({ length: 4 * n }, (_, m) => normals[12 * (m >> 2) + 4 * k + (m & 3)]);
    const [e, l, m] = [pick(0), pick(1), pick(2)];
    const corr = (a: Float64Array, b: Float64Array) => {
      let sa = 0,
        sb = 0,
        saa = 0,
        sbb = 0,
        sab = 0;
      for (let i = 0; i < a.length; i++) {
        sa += a[i];
        sb += b[i];
        saa += a[i] * a[i];
        sbb += b[i] * b[i];
        sab += a[i] * b[i];
      }
      const k = a.length;
      return (sab / k - (sa / k) * (sb / k)) / Math.sqrt((saa / k - (sa / k) ** 2) * (sbb / k - (sb / k) ** 2));
    };
    const [el, em, lm] = [corr(e, l), corr(e, m), corr(l, m)];
    console.log(
      `philox stream correlations (n=${4 * n}): eager-lazy ${el.toExponential(2)} eager-mlp ${em.toExponential(2)} lazy-mlp ${lm.toExponential(2)}`,
    );
    // 5 standard errors of a sample correlation of independent draws.
    for (const r of [el, em, lm]) expect(Math.abs(r)).toBeLessThan(5 / Math.sqrt(4 * n));
  });
});
