// The dot interaction's WGSL forward and backward against the TypeScript reference, on strided
// views (offsets and row strides as in the engine's feature buffers), odd batch sizes, T = 1 and
// T = 5, and D not a multiple of 4; the reference's backward against finite differences.
import { describe, expect, it, beforeAll } from 'vitest';
import { getTestDevice, makeBuffer, readBuffer } from '../helpers/gpu';
import { expectClose } from '../helpers/expect';
import { encode, checkShaders } from '../../src/kernels/program';
import {
  interactionForward,
  interactionBackward,
  interactionForwardRef,
  interactionBackwardRef,
  interactionThreads,
  dotWidth,
  pairIndex,
  type InteractionParams,
} from '../../src/kernels/interaction';
import { Rng } from '../../src/data/rng';

let device: GPUDevice;
beforeAll(async () => {
  device = await getTestDevice();
  await checkShaders(device);
});

const rng = new Rng(4321);
const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const f32 = async (b: GPUBuffer) => new Float32Array(await readBuffer(device, b));

function params(B: number, T: number, D: number): InteractionParams {
  const n = T + 1,
    W = dotWidth(n, D);
  // views inside wider buffers, as the engine's are not (a harder case for the indexing)
  return { B, n, D, offV: 5, ldV: n * D + 3, offZ: 2, ldZ: W + 1, offDV: 7, ldDV: n * D + 2 };
}

async function runBoth(p: InteractionParams) {
  const W = dotWidth(p.n, p.D);
  const V = randn(p.offV + p.B * p.ldV);
  const Z = randn(p.offZ + p.B * p.ldZ); // sentinel values outside the view must survive
  const dZ = randn(p.offZ + p.B * p.ldZ);
  const dV = randn(p.offDV + p.B * p.ldDV);
  const bufV = makeBuffer(device, V),
    bufZ = makeBuffer(device, Z),
    bufDZ = makeBuffer(device, dZ),
    bufDV = makeBuffer(device, dV);
  const th = interactionThreads(p);
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  encode(pass, interactionForward(device, p, { V: bufV, Z: bufZ }));
  encode(pass, interactionBackward(device, p, { V: bufV, dZ: bufDZ, dV: bufDV }));
  pass.end();
  device.queue.submit([enc.finish()]);
  interactionForwardRef(p, V, Z);
  interactionBackwardRef(p, dZ, V, dV);
  expect(th.forward).toBe(p.B * W);
  return { gotZ: await f32(bufZ), Z, gotDV: await f32(bufDV), dV };
}

describe('dot interaction', () => {
  const cases: [number, number, number][] = [
    [13, 1, 7], // T = 1: one pair
    [37, 5, 3], // T = 5: 15 pairs, D odd
    [9, 5, 6],
    [1, 3, 1],
    [70, 2, 5],
  ];
  for (const [B, T, D] of cases) {
    it(`forward and backward, B=${B} T=${T} D=${D}`, async () => {
      const p = params(B, T, D);
      const r = await runBoth(p);
      expectClose(r.gotZ.subarray(0, r.Z.length), r.Z, 1e-5, 1e-5);
      expectClose(r.gotDV.subarray(0, r.dV.length), r.dV, 1e-5, 1e-5);
    });
  }

  it('pairs in DLRM order: (1,0), (2,0), (2,1), (3,0), ... independent of T', () => {
    const order: [number, number][] = [];
    for (let c = 1; c < 5; c++) for (let a = 0; a < c; a++) order.push([c, a]);
    order.forEach(([c, a], k) => {
      expect(pairIndex(c, a)).toBe(k);
      expect(pairIndex(a, c)).toBe(k);
    });
    expect(dotWidth(27, 16)).toBe(16 + 351); // Criteo: 26 tables + the bottom output
    // explicit: n = 3, D = 2
    const V = Float32Array.of(1, 2, 3, 4, 5, 6);
    const Z = new Float32Array(5);
    interactionForwardRef({ B: 1, n: 3, D: 2, offV: 0, ldV: 6, offZ: 0, ldZ: 5, offDV: 0, ldDV: 6 }, V, Z);
    expect(Array.from(Z)).toEqual([1, 2, 1 * 3 + 2 * 4, 1 * 5 + 2 * 6, 3 * 5 + 4 * 6]);
  });

  it('the reference backward is the gradient of <dZ, Z(V)> (finite differences)', () => {
    const p: InteractionParams = {
      B: 2,
      n: 4,
      D: 3,
      offV: 0,
      ldV: 12,
      offZ: 0,
      ldZ: dotWidth(4, 3),
      offDV: 0,
      ldDV: 12,
    };
    const V = new Float64Array(randn(p.B * p.ldV));
    const dZ = randn(p.B * p.ldZ);
    const f = (v: Float64Array) => {
      const Z = new Float64Array(p.B * p.ldZ);
      interactionForwardRef(p, v, Z as unknown as Float32Array);
      return Z.reduce((s, z, k) => s + z * dZ[k], 0);
    };
    const dV = new Float64Array(V.length);
    interactionBackwardRef(p, dZ, V, dV as unknown as Float32Array);
    const h = 1e-6;
    for (let k = 0; k < V.length; k++) {
      const vp = V.slice(),
        vm = V.slice();
      vp[k] += h;
      vm[k] -= h;
      expect(Math.abs((f(vp) - f(vm)) / (2 * h) - dV[k])).toBeLessThan(1e-6);
    }
  });

  it('is deterministic: two runs give the same bits', async () => {
    const p = params(23, 4, 5);
    const V = randn(p.offV + p.B * p.ldV),
      dZ = randn(p.offZ + p.B * p.ldZ);
    const once = async () => {
      const bufDV = makeBuffer(device, new Float32Array(p.offDV + p.B * p.ldDV));
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      encode(pass, interactionBackward(device, p, { V: makeBuffer(device, V), dZ: makeBuffer(device, dZ), dV: bufDV }));
      pass.end();
      device.queue.submit([enc.finish()]);
      return f32(bufDV);
    };
    expect(Array.from(await once())).toEqual(Array.from(await once()));
  });
});
