// The kernel plumbing every module in src/kernels/ uses: every registered shader compiles;
// buffers are bound by the names the shader declares (an unknown or missing name is an error
// naming it); pipelines are cached by the shader code itself, not by a name or a length.
import { describe, expect, it, beforeAll } from 'vitest';
import { getTestDevice, makeBuffer, readBuffer, runDispatches } from '../helpers/gpu';
import {
  checkShaders,
  getPipeline,
  grid,
  gridFor,
  makeDispatch,
  spansBuffer,
  withLibs,
  WORKGROUP,
  type Program,
} from '../../src/kernels/program';
import { gatherProgram, gatherSpans } from '../../src/kernels/gather';
import { reluBackward } from '../../src/kernels/relu';

let device: GPUDevice;
beforeAll(async () => {
  device = await getTestDevice();
});

describe('kernel programs', () => {
  it('every registered shader compiles', async () => {
    await expect(checkShaders(device)).resolves.toBeUndefined();
  });

  it('binds by name: an unknown or a missing binding is an error that names it', () => {
    const E = makeBuffer(device, new Float32Array(8)),
      idx = makeBuffer(device, new Uint32Array(4)),
      out = makeBuffer(device, new Float32Array(8));
    const p = { B: 1, L: 1, D: 2, offIdx: 0, strideIdx: 0, offOut: 0, strideOut: 0, ldOut: 2, accumulate: 0 };
    const span = { table: 0, base: 0, rowStart: 0, rows: 4 };
    const spans = spansBuffer(device, [span]);
    expect(() => makeDispatch(device, gatherProgram, { E, idx, out }, [1, 1], { u: p })).toThrow(
      /gather \(main\): unknown binding out/,
    );
    expect(() => makeDispatch(device, gatherProgram, { E, idx, spans }, [1, 1], { u: p })).toThrow(
      /gather \(main\): missing binding outV/,
    );
    expect(() => makeDispatch(device, gatherProgram, { E, idx, outV: out }, [1, 1], { u: p })).toThrow(
      /gather \(main\): missing binding spans/,
    );
    expect(() => makeDispatch(device, gatherProgram, { E, idx, outV: out, spans }, [1, 1], { u: p })).not.toThrow();
    const { accumulate: _, ...short } = p;
    expect(() => gatherSpans(device, short as typeof p, [span], { E, idx, outV: out })).toThrow(
      /uniform u: missing accumulate/,
    );
  });

  it('a kernel computes its own grid from its workgroup size', () => {
    const d = reluBackward(
      device,
      { rows: 3, cols: 70, offG: 0, ldG: 70, offAct: 0, ldAct: 70 },
      { G: makeBuffer(device, new Float32Array(210)), act: makeBuffer(device, new Float32Array(210)) },
    );
    expect(d.groups).toEqual([Math.ceil(210 / WORKGROUP), 1]);
    expect(gridFor(gatherProgram, 65535 * WORKGROUP + 1)).toEqual([32768, 2]);
  });

  it('grid(): every group launched, split evenly over y (waste under one row of x)', () => {
    for (const groups of [1, 65535, 65536, 65537, 2 * 65535, 2 * 65535 + 1, 1_000_003, 8 * 2 ** 23, 65535 * 65535]) {
      const [x, y] = grid(groups * 64, 64);
      expect(x, `${groups} groups`).toBeLessThanOrEqual(65535);
      expect(y, `${groups} groups`).toBeLessThanOrEqual(65535);
      expect(x * y, `${groups} groups`).toBeGreaterThanOrEqual(groups);
      expect(x * y - groups, `${groups} groups: [${x}, ${y}]`).toBeLessThan(Math.min(x, y === 1 ? 1 : y));
    }
    expect(grid(65536 * 64, 64)).toEqual([32768, 2]);
    expect(grid(65536 * 64 - 1, 64)).toEqual([32768, 2]); // a partial last group still counts
    expect(() => grid(65535 * 65535 * 64 + 1, 64)).toThrow(/65535 x 65535/);
  });

  it('pipelines are cached by the shader code: same name, entry and length but other code is another pipeline', async () => {
    const src = (v: string) =>
      withLibs(`@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) { out[global_index(g, nw)] = ${v}; }`);
    const a: Program = { name: 'probe', code: src('1.0'), workgroup: WORKGROUP },
      b: Program = { name: 'probe', code: src('2.0'), workgroup: WORKGROUP };
    expect(a.code.length).toBe(b.code.length);
    expect(getPipeline(device, a)).toBe(getPipeline(device, { ...a }));
    expect(getPipeline(device, a)).not.toBe(getPipeline(device, b));
    const outA = makeBuffer(device, new Float32Array(WORKGROUP)),
      outB = makeBuffer(device, new Float32Array(WORKGROUP));
    runDispatches(device, [
      makeDispatch(device, a, { out: outA }, [1, 1]),
      makeDispatch(device, b, { out: outB }, [1, 1]),
    ]);
    expect(new Float32Array(await readBuffer(device, outA))[5]).toBe(1);
    expect(new Float32Array(await readBuffer(device, outB))[5]).toBe(2);
  });
});
