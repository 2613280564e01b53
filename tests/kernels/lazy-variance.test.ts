// LazyDP's pending variance (sum of lr^2 over a row's pending steps) must not depend on how a
// compiler evaluates float expressions: Metal compiles with fast math unless told otherwise, and
// a reassociating compiler folded the old hi/lo correction away (6% variance error at 10^6 steps,
// up to 60% at 10^7). The kernel's function (shaders/lib/pending.wgsl) runs here as written and
// as rewritten the ways a compiler may (reassociated, distributed, fused), against the f64 sum.
import { describe, expect, it } from 'vitest';
import { kernelTest } from '../helpers/kernels';
import { lrSquaredPrefix, pendingLrSq, PENDING_LIB } from '../../src/kernels/noise';
import { makeDispatch, withLibs, WORKGROUP, gridFor, type Program } from '../../src/kernels/program';

const gpu = kernelTest(77);
const { buffer, empty, run, f32 } = gpu;

const STEPS = 10 ** 7;
const lr = (s: number) => 0.05 * (0.1 + 0.45 * (1 + Math.cos((Math.PI * (s - 1)) / STEPS))); // the lab's cosine
const CASES: [number, number][] = [];
for (const t of [10 ** 6, 10 ** 7]) for (const k of [1, 2, 7, 1000, t]) CASES.push([t, t - k]);

/** A probe running `pending(p, unit)` on (Q[t], Q[h]) as four words per case. */
function probe(pending: string): Program {
  const code = withLibs(`${PENDING_LIB}
@group(0) @binding(0) var<storage, read> pairs: array<vec4u>;
@group(0) @binding(1) var<storage, read> units: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
fn pending(p: vec4u, unit: f32) -> f32 { ${pending} }
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i < arrayLength(&out)) { out[i] = pending(pairs[i], units[0]); }
}`);
  return { name: 'pending_probe', code, workgroup: WORKGROUP };
}

// the kernel's formulation, and the old one (f32 hi + lo prefix sums)
const NEW = 'return pending_lr_sq(p.xy, p.zw, unit);';
const OLD =
  'let pt = bitcast<vec2f>(p.xy); let ph = bitcast<vec2f>(p.zw); return max((pt.x - ph.x) + (pt.y - ph.y), 0.0);';

/** What a compiler may legally do under fast math to each formulation's float expressions. */
const REWRITES: { name: string; lib: [string, string]; pending: [string, string] }[] = [
  { name: 'as written', lib: ['', ''], pending: ['', ''] },
  {
    name: 'distributed (unit into both terms)',
    lib: ['(f32(hi) * 4294967296.0 + f32(lo)) * unit', 'f32(hi) * (4294967296.0 * unit) + f32(lo) * unit'],
    pending: ['(pt.x - ph.x) + (pt.y - ph.y)', '(pt.x + pt.y) - (ph.x + ph.y)'],
  },
  {
    name: 'fused and commuted',
    lib: ['(f32(hi) * 4294967296.0 + f32(lo)) * unit', 'fma(f32(hi), 4294967296.0, f32(lo)) * unit'],
    pending: ['(pt.x - ph.x) + (pt.y - ph.y)', '((pt.x + pt.y) - ph.x) - ph.y'],
  },
];
const rewrite = (code: string, [from, to]: [string, string]) => {
  if (!from) return code;
  expect(code).toContain(from); // the rewrite really applies
  return code.replace(from, to);
};

/** The old prefix sums: f64 running sum split into an f32 hi and an f32 lo. */
function oldPairs(lrs: Float32Array, at: number[]): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>([[0, [0, 0]]]);
  let acc = 0;
  for (let s = 1; s < lrs.length; s++) {
    acc += lr(s) ** 2;
    if (at.includes(s)) out.set(s, [Math.fround(acc), acc - Math.fround(acc)]);
  }
  return out;
}

describe('pending variance: exact integer prefix sums, whatever the float evaluation order', () => {
  const sched = lrSquaredPrefix(STEPS, lr);
  // the truth: the f64 sum of the f32 lrs' squares over (h, t]
  const truth = CASES.map(([t, h]) => {
    let v = 0;
    for (let s = h + 1; s <= t; s++) v += sched.lrs[s] ** 2;
    return v;
  });
  const worst = async (pending: string, lib: string, words: Uint32Array, unit: number) => {
    const p = probe(pending);
    const prog = { ...p, code: p.code.replace(PENDING_LIB, lib) };
    const out = empty(CASES.length * 4);
    const bufs = { pairs: buffer(words), units: buffer(Float32Array.of(unit)), out };
    run(makeDispatch(gpu.device, prog, bufs, gridFor(prog, CASES.length)));
    const got = await f32(out);
    return Math.max(...CASES.map((_, i) => Math.abs(got[i] - truth[i]) / truth[i]));
  };

  it('the CPU twin (pendingLrSq, f64 on the integer sums) is within 1e-6 relative of the f64 sum', () => {
    CASES.forEach(([t, h], i) =>
      expect(Math.abs(pendingLrSq(sched.prefix, t, h) - truth[i]) / truth[i], `t ${t} h ${h}`).toBeLessThan(1e-6),
    );
  });

  for (const rw of REWRITES)
    it(`GPU, ${rw.name}: the kernel's formulation within 1e-6 relative at 10^6 and 10^7 steps; the old one ${rw.name === 'as written' ? 'too (here)' : 'fails'}`, async () => {
      const words = Uint32Array.from(
        CASES.flatMap(([t, h]) => [
          ...sched.prefix.subarray(2 * t, 2 * t + 2),
          ...sched.prefix.subarray(2 * h, 2 * h + 2),
        ]),
      );
      expect(await worst(rewrite(NEW, ['', '']), rewrite(PENDING_LIB, rw.lib), words, sched.unit)).toBeLessThan(1e-6);
      const old = oldPairs(sched.lrs, CASES.flat());
      const oldWords = new Uint32Array(
        Float32Array.from(CASES.flatMap(([t, h]) => [...old.get(t)!, ...old.get(h)!])).buffer,
      );
      const e = await worst(rewrite(OLD, rw.pending), PENDING_LIB, oldWords, 1);
      if (rw.name === 'as written') expect(e).toBeLessThan(1e-6);
      else expect(e).toBeGreaterThan(0.05); // the correction folded away
    });
});
