// Eager DP-SGD table noise (shaders/table_noise.wgsl) against the TypeScript draws, fused and
// unfused, and shard by shard.
import { describe, expect, it } from 'vitest';
import { expectClose } from '../helpers/expect';
import { noiseTolerance, contractionSlack } from '../helpers/tolerance';
import { kernelTest } from '../helpers/kernels';
import {
  tableNoiseFused,
  tableNoiseSample,
  tableNoiseAdd,
  tableNoiseRef,
  QUADS_PER_THREAD,
} from '../../src/kernels/noise';
import type { StepValues } from '../../src/kernels/step';
import { seedToKey } from '../../src/noise/philox';

// GPU normals may differ from the TypeScript ones by what WGSL allows log, sqrt and cos/sin
// (noiseTolerance, tests/helpers/tolerance.ts); seed 1234 as in the other kernel files (a fixed
// 2e-5 once failed with it on SwiftShader, within what WGSL allows).
const gpu = kernelTest(1234);
const { randn, f32, empty, run, runAll, stepUniform, split, buffer } = gpu;
const key = seedToKey('123456789012345');
/** What one eager draw may be off by on a conforming GPU. */
const tolOf = (st: StepValues) => noiseTolerance(st.lr * st.invB * st.noiseStd);

describe('noisy updates (Philox noise in the kernel against the TypeScript draws)', () => {
  for (const fused of [true, false]) {
    it(`eager table noise on every row (${fused ? 'fused' : 'sample + add'}), dim not a multiple of 4`, async () => {
      const rows = 33,
        D = 6,
        table = 2;
      const st: StepValues = { step: 4, lr: 0.5, invB: 1 / 16, noiseStd: 2, key };
      const E = randn(rows * D);
      const bufE = buffer(E);
      const tp = { rows, D, table, rowStart: 0 };
      const sU = stepUniform(st);
      if (fused) run(tableNoiseFused(gpu.device, tp, { st: sU, E: bufE }));
      else {
        const nb = empty(rows * D * 4);
        runAll([
          tableNoiseSample(gpu.device, tp, { st: sU, noise: nb }),
          tableNoiseAdd(gpu.device, tp, { st: sU, E: bufE, noiseBuf: nb }),
        ]);
      }
      tableNoiseRef(st, table, rows, D, E);
      const tol = tolOf(st);
      expectClose(await f32(bufE), E, tol.rel, tol.abs);
    });
  }
});

// A table larger than one binding is split into shards of consecutive rows (src/engine/memory.ts);
// every kernel that touches rows must give the split table exactly what it gives the whole one.
describe('tables split into shards', () => {
  it('eager noise: a shard draws the noise of its rows in the whole table (counters use table rows)', async () => {
    const rows = 45,
      D = 6,
      table = 1;
    const st: StepValues = { step: 7, lr: 0.5, invB: 1 / 16, noiseStd: 2, key };
    const E = randn(rows * D);
    const want = E.slice();
    tableNoiseRef(st, table, rows, D, want);
    for (const sh of split(E, D, [0, 20, 45])) {
      const buf = buffer(sh.E);
      run(
        tableNoiseFused(
          gpu.device,
          { rows: sh.rows, D, table, rowStart: sh.rowStart },
          { st: stepUniform(st), E: buf },
        ),
      );
      const tol = tolOf(st);
      expectClose(await f32(buf), want.subarray(sh.rowStart * D, (sh.rowStart + sh.rows) * D), tol.rel, tol.abs);
      const ref = sh.E.slice();
      tableNoiseRef(st, table, sh.rows, D, ref, sh.rowStart);
      expectClose(ref, want.subarray(sh.rowStart * D, (sh.rowStart + sh.rows) * D), 1e-6, 1e-7);
    }
  });
});

// D % 4 == 0 runs the dense vec4 entries (several quads per thread); they must draw the same noise
// and do the same f32 operations as the scalar entries. Not bit for bit: a compiler may contract
// E - s*z (or the angle) with an fma in one kernel form and not the other (contractionSlack); a
// draw of the wrong counter would be off by about s.
describe('dense vec4 table noise', () => {
  // 301 rows of 8: 602 quads, not a multiple of a workgroup's 256 * QUADS_PER_THREAD quads
  for (const [rows, D] of [
    [301, 8],
    [70, 64],
  ] as const) {
    for (const fused of [true, false]) {
      const what = `${fused ? 'fused' : 'sample + add'}, ${rows} rows of ${D}`;
      it(`${what}: the reference, and the scalar entries up to fma contraction`, async () => {
        const table = 3,
          rowStart = 5;
        const st: StepValues = { step: 9, lr: 0.25, invB: 1 / 32, noiseStd: 1.5, key };
        const E = randn(rows * D);
        const tp = { rows, D, table, rowStart };
        const sU = stepUniform(st);
        const out: Float32Array[] = [];
        for (const scalar of [false, true]) {
          const bufE = buffer(E);
          if (fused) run(tableNoiseFused(gpu.device, tp, { st: sU, E: bufE }, { scalar }));
          else {
            const nb = empty(rows * D * 4);
            runAll([
              tableNoiseSample(gpu.device, tp, { st: sU, noise: nb }, { scalar }),
              tableNoiseAdd(gpu.device, tp, { st: sU, E: bufE, noiseBuf: nb }, { scalar }),
            ]);
          }
          out.push(await f32(bufE));
        }
        expect(Math.ceil((rows * D) / 4) % (256 * QUADS_PER_THREAD)).not.toBe(0);
        const s = st.lr * st.invB * st.noiseStd;
        const mag = Math.max(...out[1].map(Math.abs));
        expectClose(out[0], out[1], 0, contractionSlack(1, mag, s));
        const want = E.slice();
        tableNoiseRef(st, table, rows, D, want, rowStart);
        const tol = tolOf(st);
        expectClose(out[0], want, tol.rel, tol.abs);
        // every value moved: no quad skipped by the grid
        expect(out[0].every((v, i) => v !== E[i])).toBe(true);
      });
    }
  }
});
