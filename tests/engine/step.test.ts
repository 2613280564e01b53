// Whole training steps on the GPU against the plain TypeScript reference (which materialises
// every example's gradient), for all four algorithms and both clipping modes.
import { describe, expect, it } from 'vitest';
import { engineTest } from '../helpers/engine';
import { makeConfig } from '../../src/config/config';
import { Trainer } from '../../src/engine';
import { referenceStep, exampleGradient, forwardExample, groupSqNorms } from '../../src/reference/dlrm';
import { seedToKey } from '../../src/noise/philox';
import { wgradSplit } from '../../src/kernels/wgrad';
import { maxBatchFor } from '../../src/engine/batch';
import { algorithm } from '../../src/algorithms';
import { CHECK_MODEL } from '../../src/gpucheck/check-model';
import { fromRef, referenceAfter, toRef } from '../helpers/reference-step';

const eng = engineTest();

const SMALL: Record<string, unknown> = CHECK_MODEL;

async function compareWithReference(over: Record<string, unknown>, k: number): Promise<number> {
  const c = makeConfig({ ...SMALL, ...over });
  const t = await Trainer.create(eng.device, c);
  const init = await t.exportTensors();
  await t.run(k);
  const want = referenceAfter(t, init, k);
  const got = await t.exportTensors();
  // WGSL lets sin/cos be off by 2^-11 in absolute terms (and SwiftShader is), so a GPU normal can
  // differ from the f64 TypeScript one by ~1e-3 * sqrt(-2 ln u): allow that per noisy step.
  const noiseStep = c.algo === 'sgd' ? 0 : (c.lr / c.batch) * t.sigma * c.clip;
  const tol = (w: number) => 1e-6 + 2e-4 * Math.abs(w) + 5e-3 * k * noiseStep;
  let worst = 0;
  for (const g of got) {
    const w = want.get(g.name)!;
    for (let i = 0; i < w.length; i++) {
      const ratio = Math.abs(g.data[i] - w[i]) / tol(w[i]);
      if (ratio > 1) expect.fail(`${g.name}[${i}]: got ${g.data[i]}, want ${w[i]}`);
      worst = Math.max(worst, ratio);
    }
  }
  t.destroy();
  return worst;
}

describe('a whole training step on the GPU equals the reference step', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['sgd', { algo: 'sgd' }],
    ['dpsgd, flat clipping, fused noise', { algo: 'dpsgd', clipping: 'flat' }],
    ['dpsgd, per-layer clipping, unfused noise', { algo: 'dpsgd', clipping: 'per-layer', noiseKernel: 'unfused' }],
    ['lazydp (aggregated draws), cosine schedule', { algo: 'lazydp', lrSchedule: 'cosine' }],
    ['lazydp-exact, per-layer clipping', { algo: 'lazydp-exact', clipping: 'per-layer' }],
    ['dpsgd, shuffled batches, dim multiple of 4', { algo: 'dpsgd', sampling: 'shuffle', dim: 8 }],
    ['sgd, dot interaction', { algo: 'sgd', interaction: 'dot' }],
    ['dpsgd, per-layer clipping, dot interaction', { algo: 'dpsgd', clipping: 'per-layer', interaction: 'dot' }],
    [
      'lazydp-exact, flat clipping, dot interaction, one table',
      { algo: 'lazydp-exact', clipping: 'flat', interaction: 'dot', tables: [40] },
    ],
    ['sgd, momentum and weight decay on tables', { algo: 'sgd', tableOptimizer: 'momentum', weightDecay: 0.02 }],
    [
      'dpsgd, weight decay on tables (dense SGD), unfused noise',
      { algo: 'dpsgd', weightDecay: 0.05, noiseKernel: 'unfused' },
    ],
    [
      'dpsgd, momentum on tables, per-layer clipping',
      { algo: 'dpsgd', tableOptimizer: 'momentum', clipping: 'per-layer' },
    ],
    ['dpsgd, Adam on tables, fused noise', { algo: 'dpsgd', tableOptimizer: 'adam', lr: 0.01 }],
    [
      'sgd, Adam and weight decay on tables, unfused noise setting',
      { algo: 'sgd', tableOptimizer: 'adam', weightDecay: 0.01, lr: 0.01 },
    ],
    ['sgd, momentum on the MLPs', { algo: 'sgd', mlpOptimizer: 'momentum' }],
    [
      'dpsgd, Adam on the MLPs, unfused noise',
      { algo: 'dpsgd', mlpOptimizer: 'adam', noiseKernel: 'unfused', lr: 0.01 },
    ],
    ['lazydp, Adam on the MLPs (the tables stay lazy)', { algo: 'lazydp', mlpOptimizer: 'adam', lr: 0.01 }],
    ['lazydp-exact, momentum on the MLPs', { algo: 'lazydp-exact', mlpOptimizer: 'momentum' }],
    [
      'dpsgd, Adam on the MLPs and the tables, fused noise',
      { algo: 'dpsgd', mlpOptimizer: 'adam', tableOptimizer: 'adam', lr: 0.01 },
    ],
  ];
  for (const [name, over] of cases) {
    it(`${name}: 4 steps`, async () => {
      const worst = await compareWithReference(over, 4);
      expect(worst).toBeLessThanOrEqual(1);
    });
  }
});

describe('MLP gradients split over the batch in several chunks (K-split) equal the reference', () => {
  const big = { batch: 200, datasetSize: 400 };
  for (const [name, over] of [
    ['dpsgd, flat clipping', { algo: 'dpsgd', clipping: 'flat', ...big }],
    [
      'dpsgd, per-layer clipping, unfused noise, Adam on the MLPs',
      { algo: 'dpsgd', clipping: 'per-layer', noiseKernel: 'unfused', mlpOptimizer: 'adam', lr: 0.01, ...big },
    ],
    ['sgd', { algo: 'sgd', ...big }],
  ] as const)
    it(`${name}: 2 steps`, async () => {
      const c = makeConfig({ ...SMALL, ...over });
      expect(wgradSplit(maxBatchFor(c), 1).chunks).toBeGreaterThan(1);
      expect(await compareWithReference(over, 2)).toBeLessThanOrEqual(1);
    });
});

describe('per-example clipping on the GPU', () => {
  for (const interaction of ['concat', 'dot'] as const) {
    it(`per-example squared norms from the norm trick equal the explicit per-example gradients (${interaction})`, async () => {
      const c = makeConfig({ ...SMALL, algo: 'dpsgd', clipping: 'per-layer', interaction });
      const t = await Trainer.create(eng.device, c);
      const m = toRef(c, await t.exportTensors());
      const ex = [3, 5, 5, 9]; // a repeated example too
      await t.stepOn(ex);
      const norms = await t.inspect('norms');
      const ds = t.dataset.train;
      const lay = t.layout;
      ex.forEach((e, i) => {
        const bags = ds.idx.map((a) => a.subarray(e * ds.L, (e + 1) * ds.L));
        const g = exampleGradient(lay, m, ds.dense.subarray(e * ds.F, (e + 1) * ds.F), bags, ds.labels[e]).grad;
        groupSqNorms(lay, g).forEach((want, k) => {
          const got = norms[k * t.maxBatch + i];
          expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-4 * Math.max(1, want));
        });
      });
      t.destroy();
    });
  }

  it('flat: GPU clip factors bound every explicit per-example gradient by C, and leave small ones alone', async () => {
    const c = makeConfig({ ...SMALL, algo: 'dpsgd', clipping: 'flat', clip: 0.05 });
    const t = await Trainer.create(eng.device, c);
    const m = toRef(c, await t.exportTensors());
    const ds = t.dataset.train;
    for (let f = 0; f < ds.F; f++) ds.dense[11 * ds.F + f] *= 300; // one outlier
    const ex = [1, 2, 11, 20, 33, 40];
    await t.stepOn(ex);
    const factors = await t.inspect('clipFactors');
    let clipped = 0;
    ex.forEach((e, i) => {
      const bags = ds.idx.map((a) => a.subarray(e * ds.L, (e + 1) * ds.L));
      const g = exampleGradient(t.layout, m, ds.dense.subarray(e * ds.F, (e + 1) * ds.F), bags, ds.labels[e]).grad;
      const norm = Math.sqrt(groupSqNorms(t.layout, g).reduce((a, b) => a + b, 0));
      expect(factors[i] * norm).toBeLessThanOrEqual(c.clip * (1 + 1e-5));
      if (norm <= c.clip) expect(factors[i]).toBe(1);
      else clipped++;
    });
    expect(clipped).toBeGreaterThan(0);
    expect(Array.from(factors.subarray(ex.length, t.maxBatch)).every((f) => f === 0)).toBe(true); // padding contributes nothing
    t.destroy();
  });

  it('per-layer: with outliers in the batch, every explicit per-example gradient has each group within C/sqrt(K), and the GPU update is their sum', async () => {
    const c = makeConfig({ ...SMALL, algo: 'dpsgd', clipping: 'per-layer', sigma: 0, clip: 0.3 });
    const t = await Trainer.create(eng.device, c);
    const ds = t.dataset.train;
    for (const e of [2, 9]) for (let f = 0; f < ds.F; f++) ds.dense[e * ds.F + f] *= 200;
    const m = toRef(c, await t.exportTensors());
    const ex = [2, 4, 9, 13, 13];
    await t.stepOn(ex);
    const lay = t.layout;
    const batch = {
      dense: Float32Array.from(ex.flatMap((e) => Array.from(ds.dense.subarray(e * ds.F, (e + 1) * ds.F)))),
      idx: ds.idx.map((a) => Uint32Array.from(ex.flatMap((e) => Array.from(a.subarray(e * ds.L, (e + 1) * ds.L))))),
      labels: Float32Array.from(ex.map((e) => ds.labels[e])),
    };
    const st = { step: 1, lr: c.lr, invB: 1 / c.batch, noiseStd: 0, key: seedToKey(c.seed) };
    const { clipped } = referenceStep(lay, m, batch, {
      kind: algorithm(c.algo).reference,
      clip: c.clip,
      clipping: c.clipping,
      st,
    });
    const cl = c.clip / Math.sqrt(lay.layers.length + lay.T);
    let atBound = 0;
    for (const g of clipped) {
      for (const sq of groupSqNorms(lay, g)) {
        expect(Math.sqrt(sq)).toBeLessThanOrEqual(cl * (1 + 1e-9));
        if (Math.sqrt(sq) > 0.999 * cl) atBound++;
      }
    }
    expect(atBound).toBeGreaterThan(0); // the outliers were clipped
    const want = fromRef(c, m);
    for (const g of await t.exportTensors()) {
      const w = want.get(g.name)!;
      for (let i = 0; i < w.length; i++)
        if (Math.abs(g.data[i] - w[i]) > 1e-6 + 2e-4 * Math.abs(w[i]))
          expect.fail(`${g.name}[${i}]: got ${g.data[i]}, want ${w[i]}`);
    }
    t.destroy();
  });

  for (const [clipping, interaction] of [
    ['flat', 'concat'],
    ['per-layer', 'concat'],
    ['flat', 'dot'],
    ['per-layer', 'dot'],
  ] as const) {
    it(`${clipping}${interaction === 'dot' ? ', dot interaction' : ''}: one example with a huge gradient moves the model by at most lr/B * C`, async () => {
      const c = makeConfig({ ...SMALL, algo: 'dpsgd', clipping, interaction, sigma: 0 });
      const t = await Trainer.create(eng.device, c);
      const ds = t.dataset.train;
      // make example 7's gradient enormous: large dense features and a confidently wrong label
      for (let f = 0; f < ds.F; f++) ds.dense[7 * ds.F + f] *= 1000;
      const before = await t.exportTensors();
      const logit = forwardExample(
        t.layout,
        toRef(c, before),
        ds.dense.subarray(7 * ds.F, 8 * ds.F),
        ds.idx.map((a) => a.subarray(7 * ds.L, 8 * ds.L)),
      ).logit;
      ds.labels[7] = logit > 0 ? 0 : 1;
      await t.stepOn([7]);
      const after = await t.exportTensors();
      let total = 0;
      // a clipping group is one table, or one layer's weight and bias together
      const perGroup = new Map<string, number>();
      before.forEach((b, i) => {
        let s = 0;
        for (let k = 0; k < b.data.length; k++) s += (after[i].data[k] - b.data[k]) ** 2;
        total += s;
        const g = b.name.replace(/\.(weight|bias)$/, '');
        perGroup.set(g, (perGroup.get(g) ?? 0) + s);
      });
      const scale = c.batch / c.lr;
      const contribution = Math.sqrt(total) * scale;
      expect(contribution).toBeLessThanOrEqual(c.clip * (1 + 1e-4));
      if (clipping === 'flat')
        expect(contribution).toBeGreaterThan(0.99 * c.clip); // clipping was active
      else {
        // per-layer: every group within its own threshold C_l = C / sqrt(K), and the huge
        // bottom-layer gradients were cut to exactly that
        const K = t.layout.layers.length + t.layout.T;
        expect(perGroup.size).toBe(K);
        const cl = c.clip / Math.sqrt(K);
        for (const [g, sq] of perGroup) expect(Math.sqrt(sq) * scale, g).toBeLessThanOrEqual(cl * (1 + 1e-4));
        expect(Math.sqrt(perGroup.get('bottom.0')!) * scale).toBeGreaterThan(0.99 * cl);
      }
      t.destroy();
    });
  }
});
