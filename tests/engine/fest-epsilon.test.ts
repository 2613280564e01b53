// DP-FEST spends its private histogram before the first step: epsilon at step 0 is the
// histogram's (a public prior: 0), and a model file written at step 0 (the CLI's --export-init,
// the lab's export before training) says so and carries the selection that histogram chose, as
// every later export does.
import { describe, expect, it } from 'vitest';
import { engineTest, SMALL_MODEL, exportedBytes, openBytes } from '../helpers/engine';
import { makeConfig } from '../../src/config/config';
import { Trainer, epsilonAfter, exportMetadata } from '../../src/engine';
import { accountantNamed } from '../../src/privacy/accountants';
import { decodeSelection, encodeSelection } from '../../src/engine/fest-selection';

const INFO = { vendor: 'test', architecture: '', description: '' };

const eng = engineTest();

const BASE = {
  ...SMALL_MODEL,
  algo: 'dp-fest',
  tables: [300, 40],
  dim: 4,
  pooling: 2,
  batch: 16,
  dense: 4,
  datasetSize: 128,
  evalSize: 16,
  steps: 3,
  seed: '4242',
  festK: 16,
  festHistogramSigma: 3,
};

describe('DP-FEST: epsilon before the first step', () => {
  for (const accountant of ['rdp', 'prv'] as const)
    it(`${accountant}: the histogram's epsilon at step 0, not 0; a public prior's is 0`, () => {
      const c = makeConfig({ ...BASE, accountant });
      const hist = [{ kind: 'poisson-gaussian', q: 1, sigma: 3, steps: 1, sample: 'h' }] as const;
      const alone = accountantNamed(accountant).epsilon(hist, c.delta);
      expect(alone).toBeGreaterThan(0.5);
      expect(epsilonAfter(c, 1, 0)).toBeCloseTo(alone, 6);
      // the steps only add to it
      expect(epsilonAfter(c, 1, 1)!).toBeGreaterThan(alone);
      expect(epsilonAfter(makeConfig({ ...c, festPrior: 'public' }), 1, 0)).toBe(0);
      expect(epsilonAfter(makeConfig({ ...c, algo: 'dpsgd' }), 1, 0)).toBe(0);
    });
});

describe('DP-FEST: a model file written before training', () => {
  it('says the histogram epsilon and carries the selection (the lab: with a summary; --export-init: without)', async () => {
    const c = makeConfig({ ...BASE, accountant: 'rdp' });
    const t = await Trainer.create(eng.device, c);
    const before = epsilonAfter(c, 1, 0)!;
    expect(before).toBeGreaterThan(0.5);
    expect(t.summary().epsilon).toBeCloseTo(before, 9);
    for (const s of [t.summary(), null]) {
      const meta = exportMetadata(t, INFO, s);
      expect(Number(meta.epsilon)).toBeCloseTo(before, 9);
      expect(JSON.parse(meta.fest_selection)).toEqual(encodeSelection(t.festSelection!));
    }
    // the file opens as a checkpoint (its epsilon agrees with its config) with that selection
    const ck = await openBytes(await exportedBytes(t));
    expect(ck.steps).toBe(0);
    const saved = decodeSelection(ck.festSelection!, c.tables);
    expect(saved.map((x) => Array.from(x))).toEqual(t.festSelection!.map((x) => Array.from(x)));
    expect(saved[0].length).toBe(16);
    t.destroy();
  });
});
