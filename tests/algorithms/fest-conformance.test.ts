// What issue 19 asks of DP-FEST and DP-AdaFEST beyond the conformance suite's shared checks: the
// selection survives a checkpoint, and train's ε is the accountants' at σ_eff. Also: an algorithm
// that declares no CPU reference step is refused by the oracle's replay, by name.
import { describe, expect, it } from 'vitest';
import { engineTest, exportedBytes, openBytes } from '../helpers/engine';
import { referenceAfter, referenceKindOf, referenceSelection } from '../helpers/reference-step';
import { algorithm } from '../../src/algorithms';
import { makeConfig } from '../../src/config/config';
import { Trainer } from '../../src/engine';
import { encodeSelection } from '../../src/engine/fest-selection';
import { prvAccountant, rdpAccountant } from '../../src/privacy/accountants';
import { CHECK_MODEL } from '../../src/gpucheck/check-model';

const eng = engineTest();

const SMALL = { ...CHECK_MODEL, evalSize: 16, steps: 6, seed: '24680' };

describe('an algorithm without a CPU reference step', () => {
  it('is refused by the replay, naming the algorithm', () => {
    const broken = { ...algorithm('dpsgd'), name: 'no-reference', reference: undefined };
    expect(() => referenceKindOf(broken as never)).toThrow(/algorithm no-reference declares no CPU reference step/);
    const unknown = { ...algorithm('dpsgd'), name: 'odd-reference', reference: 'sketch' };
    expect(() => referenceKindOf(unknown as never)).toThrow(/odd-reference.*sketch/);
  });
});

describe('dp-fest', () => {
  it('with a public prior: the selection is the generator’s top ranks, and the steps equal the reference', async () => {
    const t = await Trainer.create(
      eng.device,
      makeConfig({ ...SMALL, algo: 'dp-fest', festK: 10, festPrior: 'public' }),
    );
    const init = await t.exportTensors();
    await t.run(3);
    expect(t.festSelection).toEqual(referenceSelection(t));
    const want = referenceAfter(t, init, 3);
    const noise = 3 * (SMALL.lr / SMALL.batch) * t.sigma * SMALL.clip;
    for (const g of await t.exportTensors()) {
      const w = want.get(g.name)!;
      for (let i = 0; i < w.length; i++)
        if (Math.abs(g.data[i] - w[i]) > 1e-6 + 2e-4 * Math.abs(w[i]) + 5e-3 * noise)
          expect.fail(`${g.name}[${i}]: got ${g.data[i]}, want ${w[i]}`);
    }
    t.destroy();
  });

  it('DP-FEST selection survives a checkpoint round-trip', async () => {
    const c = makeConfig({ ...SMALL, algo: 'dp-fest', festK: 10 });
    const t = await Trainer.create(eng.device, c);
    await t.run(3);
    const ck = await openBytes(await exportedBytes(t));
    const back = await Trainer.create(eng.device, ck.config);
    await back.loadCheckpoint(ck);
    expect(back.festSelection).toEqual(t.festSelection);
    // the same next step: the same rows trained and noised
    await t.run(1);
    await back.run(1);
    const [x, y] = [await t.exportTensors(), await back.exportTensors()];
    x.forEach((tx, i) => expect(y[i].data, tx.name).toEqual(tx.data));
    // and it is the file's selection, not one chosen again at creation: another in the file
    // (each table's first rows) is the one a run continues with
    const other = t.layout.rows.map((R) => Uint32Array.from({ length: Math.min(10, R) }, (_, k) => k));
    expect(other).not.toEqual(t.festSelection);
    const third = await Trainer.create(eng.device, ck.config);
    await third.loadCheckpoint({ ...ck, festSelection: encodeSelection(other) });
    expect(third.festSelection).toEqual(other);
    for (const x of [t, back, third]) x.destroy();
  });
});

describe('dp-adafest', () => {
  for (const accountant of ['prv', 'rdp'] as const)
    it(`dp-adafest: train's ε equals the accountant's at σ_eff = (σ1⁻² + σ2⁻²)^(-1/2) (${accountant})`, async () => {
      // shuffled batches: no truncation delta, so ε is the accountant's alone
      const over = { algo: 'dp-adafest', accountant, sampling: 'shuffle', selectionSigma: 1.3 };
      const t = await Trainer.create(eng.device, makeConfig({ ...SMALL, ...over }));
      await t.run(4);
      const c = t.config;
      const [s1, s2] = [c.selectionSigma, t.sigma];
      const sigmaEff = (s1 ** -2 + s2 ** -2) ** -0.5;
      expect(sigmaEff).toBeLessThan(Math.min(s1, s2));
      const acc = accountant === 'prv' ? prvAccountant() : rdpAccountant();
      const q = c.batch / c.datasetSize;
      const eps = (ms: { sigma: number }[]) =>
        acc
          .plan(
            ms.map((m) => ({ kind: 'poisson-gaussian' as const, q, sigma: m.sigma, steps: c.steps, sample: 'batch' })),
            { deltaError: c.delta / 1000 },
          )
          .epsilon(t.stepsDone, c.delta);
      const got = t.summary().epsilon!;
      // one Gaussian at σ_eff, and the two on one sample that the accountant combines
      expect(Math.abs(got / eps([{ sigma: sigmaEff }]) - 1)).toBeLessThan(1e-9);
      expect(Math.abs(got / eps([{ sigma: s1 }, { sigma: s2 }]) - 1)).toBeLessThan(1e-9);
      // and not the gradient's σ2 alone (the count noise costs privacy)
      expect(got).toBeGreaterThan(eps([{ sigma: s2 }]) * 1.01);
      t.destroy();
    });
});
