// Every registered algorithm through the same checks; a new algorithm is covered by being
// registered. Tiny tables and few steps: seconds on SwiftShader.
import { describe, expect, it } from 'vitest';
import { engineTest, exportedBytes, openBytes } from '../helpers/engine';
import { adafestParams, referenceAfter, referenceKindOf, referenceSelection } from '../helpers/reference-step';
import { ALGORITHMS, stepNoiseMultiplier, type Algorithm } from '../../src/algorithms';
import { unreadNoiseSteps } from '../../src/reference/fest';
import { makeConfig } from '../../src/config/config';
import { Trainer } from '../../src/engine';
import { computeEpsilon } from '../../src/privacy/rdp';
import { rdpAccountant } from '../../src/privacy/accountants';
import { checkAudit, runAudit } from '../../src/audit/run';
import { CHECK_MODEL, FEST_BRANCHES } from '../../src/gpucheck/check-model';

const eng = engineTest();

const SMALL = { ...CHECK_MODEL, steps: 6, ...FEST_BRANCHES };

const trainerOf = (a: Algorithm, over: Record<string, unknown> = {}) =>
  Trainer.create(eng.device, makeConfig({ ...SMALL, algo: a.name, ...over }));

for (const a of ALGORITHMS) {
  describe(`${a.name} (${a.label})`, () => {
    it(`declares a CPU reference step the oracle knows (${String(a.reference)})`, () => {
      expect(referenceKindOf(a)).toBe(a.reference);
    });

    it('its GPU steps equal the CPU reference (with the flush it declares)', async () => {
      const t = await trainerOf(a);
      const init = await t.exportTensors();
      await t.run(4);
      const want = referenceAfter(t, init, 4);
      // DP-FEST: the trainer's selection is the oracle's (the private histogram before training)
      if (referenceKindOf(a) === 'fest') expect(t.festSelection).toEqual(referenceSelection(t));
      // WGSL's sin/cos may be off by 2^-11: a tolerance per noisy step, as tests/engine/step.test.ts
      const noiseStep = a.private ? (SMALL.lr / SMALL.batch) * t.sigma * SMALL.clip : 0;
      for (const g of await t.exportTensors()) {
        const w = want.get(g.name)!;
        for (let i = 0; i < w.length; i++)
          if (Math.abs(g.data[i] - w[i]) > 1e-6 + 2e-4 * Math.abs(w[i]) + 5e-3 * 4 * noiseStep)
            expect.fail(`${g.name}[${i}]: got ${g.data[i]}, want ${w[i]}`);
      }
      t.destroy();
    });

    if (a.exactOf)
      it(`equals ${a.exactOf}, its eager counterpart, with the same seed (float rounding apart)`, async () => {
        const mine = await trainerOf(a);
        const eager = await Trainer.create(eng.device, makeConfig({ ...SMALL, algo: a.exactOf }));
        await mine.run(6);
        await eager.run(6);
        const [x, y] = [await mine.exportTensors(), await eager.exportTensors()];
        expect(x.map((t) => t.name)).toEqual(y.map((t) => t.name));
        x.forEach((tx, i) => tx.data.forEach((v, k) => expect(Math.abs(v - y[i].data[k])).toBeLessThan(2e-5)));
        mine.destroy();
        eager.destroy();
      });

    it('after the flush, rows no batch read carry the noise variance its mechanisms imply', async () => {
      // one big table and small batches: most rows are never read in 3 steps
      const steps = 3;
      const over = { tables: [4096], dim: 8, steps, batch: 8, datasetSize: 256, zipf: 0, festK: 1024 };
      const t = await trainerOf(a, over);
      const init = (await t.exportTensors()).find((x) => x.name === 'tables.0')!.data;
      await t.run(steps);
      const E = (await t.exportTensors()).find((x) => x.name === 'tables.0')!.data;
      const read = new Set<number>();
      for (let s = 1; s <= steps; s++)
        for (const e of t.batchIndices(s))
          for (let l = 0; l < t.layout.L; l++) read.add(t.dataset.train.idx[0][e * t.layout.L + l]);
      expect(4096 - read.size).toBeGreaterThan(4096 * 0.8);
      const c = t.config;
      // each step that noises a row: E -= lr/B * (sigma C) * z, the gradient's noise (σ2 for
      // DP-AdaFEST); how many steps noise an unread row is the reference kind's law (K)
      const sd = a.private ? (c.lr / c.batch) * t.sigma * c.clip : 0;
      const kind = referenceKindOf(a);
      const selected = kind === 'fest' ? new Set(referenceSelection(t)[0]) : undefined;
      let want = 0,
        varSum = 0,
        got = 0,
        sum = 0,
        rows = 0;
      for (let r = 0; r < 4096; r++) {
        if (read.has(r)) continue;
        const K = unreadNoiseSteps(kind, steps, { selected: selected?.has(r), adafest: adafestParams(c) });
        // S = the row's squared change over its D columns: E[S] = D sd² E[K],
        // Var(S) = 2 D sd⁴ E[K²] + D² sd⁴ Var(K)
        let S = 0;
        for (let d = 0; d < 8; d++) {
          const x = E[r * 8 + d] - init[r * 8 + d];
          S += x * x;
          sum += x;
        }
        if (K.meanSq === 0) expect(S, `row ${r} gets no noise, yet changed`).toBe(0);
        want += 8 * sd ** 2 * K.mean;
        varSum += sd ** 4 * (2 * 8 * K.meanSq + 64 * (K.meanSq - K.mean ** 2));
        got += S;
        rows++;
      }
      if (want === 0) expect(got).toBe(0);
      else {
        // 5 standard deviations of the sum (fixed seed); the mean of the changes near 0
        expect(Math.abs(got - want)).toBeLessThan(5 * Math.sqrt(varSum));
        expect(Math.abs(sum)).toBeLessThan(5 * Math.sqrt(want));
        expect(rows).toBeGreaterThan(0);
      }
      t.destroy();
    });

    it("its ε is the accountant's for the mechanisms it declares", async () => {
      // shuffled batches: no truncation delta, so ε is the accountant's alone
      const t = await trainerOf(a, { accountant: 'rdp', sampling: 'shuffle' });
      await t.run(3);
      const c = t.config;
      const eps = t.summary().epsilon;
      if (!a.private) {
        expect(a.mechanisms(t.sigma, t.config)).toEqual([]);
        expect(eps).toBeUndefined();
      } else {
        const sigma = stepNoiseMultiplier(a, t.sigma, t.config);
        const q = c.batch / c.datasetSize;
        const steps = { kind: 'poisson-gaussian' as const, q, sigma, steps: c.steps, sample: 'batch' };
        // releases before training (DP-FEST's histogram) compose with the steps: q = 1, one step
        const before = (a.beforeTraining?.(c) ?? []).map((m, i) => ({
          ...steps,
          q: 1,
          sigma: m.noiseMultiplier,
          steps: 1,
          sample: `h${i}`,
        }));
        if (!before.length) expect(eps).toBe(computeEpsilon({ q, sigma, steps: t.stepsDone, delta: c.delta }).epsilon);
        else
          expect(eps).toBeCloseTo(rdpAccountant().epsilon([...before, { ...steps, steps: t.stepsDone }], c.delta), 10);
      }
      t.destroy();
    });

    it('its checkpoint round-trips: the file reopens with the same tensors and steps', async () => {
      const t = await trainerOf(a);
      await t.run(3);
      const bytes = await exportedBytes(t);
      const ck = await openBytes(bytes);
      expect(ck.steps).toBe(3);
      expect(ck.config.algo).toBe(a.name);
      const back = await Trainer.create(eng.device, ck.config);
      await back.loadCheckpoint(ck);
      const [x, y] = [await t.exportTensors(), await back.exportTensors()];
      x.forEach((tx, i) => expect(y[i].data, tx.name).toEqual(tx.data));
      t.destroy();
      back.destroy();
    });

    it(a.audit.runs ? 'the audit runs on it' : 'the audit refuses it, naming why', async () => {
      const c = makeConfig({ ...SMALL, algo: a.name, steps: 4 });
      if (!a.audit.runs) {
        expect(() => checkAudit(c, 'none', 20)).toThrow(/private algorithm/);
        return;
      }
      // gradient canaries own rows no example touches, which an algorithm that selects rows never
      // updates (refused there, src/audit/run.ts); input canaries are examples, selected like any
      const selects = !['eager', 'lazy', 'lazy-exact'].includes(a.tableNoise);
      const r = await runAudit(eng.device, c, {
        canaries: 20,
        auditSeed: 3,
        canaryKind: selects ? 'input' : 'gradient',
      });
      expect(r.broken).toBe(false);
      expect(r.canaries).toBe(20);
      expect(r.epsilonLower).toBeLessThanOrEqual(r.epsilon);
    });
  });
}
