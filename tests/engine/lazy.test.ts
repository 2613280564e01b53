// LazyDP trains the same private model as eager DP-SGD: lazydp-exact bit-for-bit in its noise,
// lazydp in distribution; and nothing leaves the engine with noise still pending.
import { describe, expect, it } from 'vitest';
import { engineTest, SMALL_MODEL, trained as trainedOf } from '../helpers/engine';
import { maxAbsDiff } from '../helpers/tensors';
import { contractionSlack } from '../helpers/tolerance';
import { makeConfig, ConfigError } from '../../src/config/config';
import { Trainer, type NamedTensor } from '../../src/engine';
import { INVALID_ROW } from '../../src/data/format';
import { ks } from '../../src/numerics/stats';

const eng = engineTest();

const BASE = {
  ...SMALL_MODEL,
  tables: [300, 40],
  dim: 4,
  pooling: 2,
  batch: 16,
  dense: 4,
  datasetSize: 128,
  evalSize: 16,
  steps: 30,
  seed: '31337',
  zipf: 1.3,
};
const trained = (over: Record<string, unknown>, steps?: number) => trainedOf(eng.device, BASE, over, steps);

/** Rows of table `tb` read by each batch 1..steps. */
function readsPerStep(t: Trainer, tb: number, steps: number): Set<number>[] {
  const ds = t.dataset.train;
  const out: Set<number>[] = [new Set()];
  for (let s = 1; s <= steps; s++) {
    const rows = new Set<number>();
    for (const e of Array.from(t.batchIndices(s)))
      for (let l = 0; l < ds.L; l++) {
        const r = ds.idx[tb][e * ds.L + l];
        if (r !== INVALID_ROW) rows.add(r);
      }
    out.push(rows);
  }
  return out;
}

describe('lazydp-exact equals dpsgd', () => {
  it('same seed and data: the same model after 30 steps, incl. rows read after long gaps and rows never read', async () => {
    const eager = await trained({ algo: 'dpsgd' });
    const lazy = await trained({ algo: 'lazydp-exact' });
    // the batches really have long gaps and unread rows
    const reads = readsPerStep(lazy.t, 0, 30);
    const last = new Map<number, number>();
    let longest = 0;
    reads.forEach((rows, s) =>
      rows.forEach((r) => {
        if (last.has(r)) longest = Math.max(longest, s - last.get(r)!);
        last.set(r, s);
      }),
    );
    expect(longest).toBeGreaterThanOrEqual(10);
    const never = Array.from({ length: 300 }, (_, r) => r).filter((r) => !last.has(r));
    expect(never.length).toBeGreaterThan(20);
    // the noise really moved the never-read rows (30 draws each), and both algorithms agree
    const E0 = eager.init[0].data,
      E = eager.model[0].data,
      L = lazy.model[0].data;
    const r = never[0];
    expect(Math.abs(E[r * 4] - E0[r * 4])).toBeGreaterThan(1e-4);
    expect(lazy.init.map((x) => x.name)).toEqual(eager.init.map((x) => x.name));
    expect(maxAbsDiff(lazy.init, eager.init)).toBe(0);
    const d = maxAbsDiff(lazy.model, eager.model);
    expect(d).toBeLessThan(2e-5);
    // the never-read row has only noise: the same draws, subtracted in two kernels (lazy.wgsl's
    // replay, table_noise.wgsl), which a compiler may contract differently (contractionSlack)
    const c = lazy.t.config;
    const s = (c.lr / c.batch) * lazy.t.sigma * c.clip;
    const slack = contractionSlack(30, Math.max(Math.abs(E[r * 4]), Math.abs(E0[r * 4])) + 30 * s * 6, s);
    expect(slack).toBeLessThan(0.01 * Math.abs(E[r * 4] - E0[r * 4])); // far below the noise itself
    expect(Math.abs(L[r * 4] - E[r * 4])).toBeLessThanOrEqual(slack);
    eager.t.destroy();
    lazy.t.destroy();
  });

  it('an export in the middle of training carries every pending draw (equals dpsgd at that step)', async () => {
    const eager = await trained({ algo: 'dpsgd' }, 12);
    const lazy = await trained({ algo: 'lazydp-exact' }, 12);
    expect(maxAbsDiff(lazy.model, eager.model)).toBeLessThan(2e-5);
    const H = await lazy.t.readHistory(0, 0, 300);
    expect(Array.from(H).every((h) => h === 12)).toBe(true);
    eager.t.destroy();
    lazy.t.destroy();
  });
});

describe('no step past config.steps', () => {
  it('stepOn after the last configured step throws naming "steps" (LazyDP tables end there) and changes nothing', async () => {
    for (const algo of ['lazydp', 'dpsgd']) {
      const t = await Trainer.create(eng.device, makeConfig({ ...BASE, algo, steps: 2 }));
      await t.stepOn([0, 1, 2], [3, 4]);
      await t.stepOn([3, 4]);
      const before = await t.exportTensors();
      await expect(t.stepOn([5, 6])).rejects.toThrow(/step 3: the run is configured for 2 steps; raise "steps"/);
      expect(t.stepsDone).toBe(2);
      expect(maxAbsDiff(await t.exportTensors(), before)).toBe(0);
      t.destroy();
    }
  });
});

describe('LazyDP reuses the lookahead sort only for the batch it sorted', () => {
  it('a forced batch other than the lookahead is sorted again: lazydp-exact still equals dpsgd', async () => {
    const cfg = (algo: string) => makeConfig({ ...BASE, algo, steps: 3 });
    const eager = await Trainer.create(eng.device, cfg('dpsgd'));
    const lazy = await Trainer.create(eng.device, cfg('lazydp-exact'));
    const b1 = [0, 1, 2, 3, 4, 5],
      b2 = [10, 11, 12, 13],
      b3 = [20, 21, 22, 23, 24];
    // step 1's lookahead holds b2 and more (so every row b2 reads has its noise), but step 2
    // trains on b2 alone: reusing the lookahead's pairs would give b2's gradients to the rows of
    // the examples that came first in the lookahead's batch
    const wider = [30, 31, 32, 33, ...b2];
    await eager.stepOn(b1);
    await eager.stepOn(b2);
    await eager.stepOn(b3);
    await lazy.stepOn(b1, wider);
    await lazy.stepOn(b2, b3);
    await lazy.stepOn(Uint32Array.from(b3)); // the lookahead's batch, as a new array: reused
    const d = maxAbsDiff(await lazy.exportTensors(), await eager.exportTensors());
    expect(d).toBeLessThan(2e-5);
    eager.destroy();
    lazy.destroy();
  });
});

describe('lazydp (aggregated draws) against dpsgd, noise dominating', () => {
  it('final weights have the same distribution, per-row variance does not depend on the gaps, nothing is left pending', async () => {
    const over = {
      tables: [400],
      dim: 16,
      steps: 20,
      lr: 0.05,
      clip: 0.05,
      sigma: 40,
      datasetSize: 512,
      batch: 32,
      pooling: 4,
      zipf: 0.5,
    };
    const eager = await trained({ ...over, algo: 'dpsgd' });
    const lazy = await trained({ ...over, algo: 'lazydp' });
    const c = lazy.t.config;
    const std = (c.lr / c.batch) * lazy.t.sigma * c.clip * Math.sqrt(c.steps);
    const z = (m: NamedTensor[], init: NamedTensor[]) => Array.from(m[0].data, (v, k) => (v - init[0].data[k]) / std);
    const ze = z(eager.model, eager.init),
      zl = z(lazy.model, lazy.init);
    const n = ze.length;
    // KS critical value at p = 0.001 for two samples of n: 1.95 sqrt(2/n)
    expect(ks(ze, zl)).toBeLessThan(1.95 * Math.sqrt(2 / n));
    const variance = (xs: number[]) => xs.reduce((a, v) => a + v * v, 0) / xs.length;
    const se = Math.sqrt(2 / n);
    expect(Math.abs(variance(ze) - 1)).toBeLessThan(5 * se + 0.01);
    expect(Math.abs(variance(zl) - 1)).toBeLessThan(5 * se + 0.01);
    // group rows by how many separate lazy draws they received (lookaheads + the final flush):
    // each group must still have the full variance, k draws of k_i steps summing to 20 steps
    const reads = readsPerStep(lazy.t, 0, c.steps);
    const draws = new Array<number>(400).fill(1);
    for (let s = 1; s < c.steps; s++) for (const r of reads[s + 1]) draws[r]++;
    const groups = new Map<string, number[]>();
    draws.forEach((k, r) => {
      const g = k <= 3 ? '1-3 draws' : k <= 6 ? '4-6 draws' : '7 or more draws';
      if (!groups.has(g)) groups.set(g, []);
      for (let d = 0; d < 16; d++) groups.get(g)!.push(zl[r * 16 + d]);
    });
    expect(groups.size).toBe(3);
    for (const [g, xs] of groups) {
      const v = variance(xs);
      expect(xs.length).toBeGreaterThan(500);
      expect(Math.abs(v - 1), `${g}: variance ${v} over ${xs.length} values`).toBeLessThan(
        4.5 * Math.sqrt(2 / xs.length) + 0.02,
      );
    }
    const H = await lazy.t.readHistory(0, 0, 400);
    expect(Array.from(H).every((h) => h === c.steps)).toBe(true);
    eager.t.destroy();
    lazy.t.destroy();
  });

  it('pending noise: what a flush adds to a row k steps behind has variance k s^2, and matches eager noise (two-sample)', async () => {
    const over = {
      tables: [400],
      dim: 16,
      steps: 40,
      lr: 0.05,
      clip: 0.05,
      sigma: 40,
      datasetSize: 512,
      batch: 32,
      pooling: 4,
      zipf: 0.5,
    };
    const k = 20;
    const eager = await trained({ ...over, algo: 'dpsgd' }, k);
    const t = await Trainer.create(eng.device, makeConfig({ ...BASE, ...over, algo: 'lazydp' }));
    await t.run(k); // k < steps: nothing flushed yet
    const c = t.config;
    const s = (c.lr / c.batch) * t.sigma * c.clip;
    // the table as stored, pending noise not yet added (readRows would flush first)
    const raw = new Float32Array(await t['readSpan'](0, 'E', 16, 0, 400));
    const H = await t.readHistory(0, 0, 400);
    const flushed = await t.readRows(0, 0, 400);
    const pendingZ: number[] = [];
    const byGap = new Map<string, number[]>();
    for (let r = 0; r < 400; r++) {
      const gap = k - H[r];
      for (let d = 0; d < 16; d++) {
        const added = flushed[r * 16 + d] - raw[r * 16 + d];
        if (gap === 0)
          expect(added).toBe(0); // nothing pending, nothing added
        else {
          const z = added / (s * Math.sqrt(gap));
          pendingZ.push(z);
          const g = gap <= 2 ? '1-2 steps' : gap <= 6 ? '3-6 steps' : '7 or more steps';
          if (!byGap.has(g)) byGap.set(g, []);
          byGap.get(g)!.push(z);
        }
      }
    }
    expect(byGap.size).toBe(3);
    for (const [g, xs] of byGap) {
      const v = xs.reduce((a, x) => a + x * x, 0) / xs.length;
      expect(xs.length, g).toBeGreaterThan(300);
      expect(Math.abs(v - 1), `${g}: variance ${v} over ${xs.length} values`).toBeLessThan(
        4.5 * Math.sqrt(2 / xs.length) + 0.02,
      );
    }
    // eager DP-SGD's noise over the same k steps, per value, on the same scale
    const ze = Array.from(eager.model[0].data, (v, i) => (v - eager.init[0].data[i]) / (s * Math.sqrt(k)));
    expect(ks(pendingZ, ze)).toBeLessThan(1.95 * Math.sqrt(1 / pendingZ.length + 1 / ze.length));
    eager.t.destroy();
    t.destroy();
  });

  it('before a flush rows do have noise pending; readRows and evaluate flush it', async () => {
    const t = await Trainer.create(eng.device, makeConfig({ ...BASE, algo: 'lazydp', steps: 30 }));
    await t.run(10);
    const H0 = await t.readHistory(0, 0, 300);
    expect(Array.from(H0).some((h) => h < 10)).toBe(true);
    await t.readRows(0, 0, 5);
    expect(Array.from(await t.readHistory(0, 0, 300)).every((h) => h === 10)).toBe(true);
    await t.run(3);
    expect(Array.from(await t.readHistory(0, 0, 300)).some((h) => h < 13)).toBe(true);
    await t.evaluate();
    expect(Array.from(await t.readHistory(1, 0, 40)).every((h) => h === 13)).toBe(true);
    t.destroy();
  });
});

describe('lazy modes refuse dense table optimizers', () => {
  it('momentum, Adam or weight decay on tables is a ConfigError naming the key', () => {
    for (const [k, v] of [
      ['tableOptimizer', 'momentum'],
      ['tableOptimizer', 'adam'],
      ['weightDecay', 0.01],
    ] as const) {
      let err: unknown;
      try {
        makeConfig({ ...BASE, algo: 'lazydp', [k]: v });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).key).toBe(k);
      expect((err as Error).message).toMatch(/lazydp/);
    }
  });
});
