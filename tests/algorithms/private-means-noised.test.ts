// Private means noised, by construction: a private algorithm whose step adds no noise to the
// tables is never built, and the accountant refuses one that declares no mechanism. Each test
// builds a deliberately broken algorithm (never registered) and hands it to the engine directly.
import { describe, expect, it } from 'vitest';
import { engineTest } from '../helpers/engine';
import { algorithm, UnknownAlgorithmError, type Algorithm } from '../../src/algorithms';
import { makeConfig } from '../../src/config/config';
import { Trainer, UnnoisedStepError, epsilonAfter } from '../../src/engine';

const eng = engineTest();
const SMALL = { tables: [40, 20], dim: 4, batch: 8, datasetSize: 64, evalSize: 16, evalEvery: 0, steps: 3 };
const eager = algorithm('dpsgd');

describe('a private algorithm must noise its tables and declare its mechanism', () => {
  for (const over of [{}, { noiseKernel: 'unfused' }, { tableOptimizer: 'momentum' }, { shardRows: 16 }]) {
    const { shardRows, ...keys } = over as { shardRows?: number };
    it(`no table noise: the step is refused (${JSON.stringify(over)})`, async () => {
      const broken: Algorithm = { ...eager, name: 'broken-no-table-noise', tableNoise: 'none' };
      const c = makeConfig({ ...SMALL, algo: 'dpsgd', ...keys });
      await expect(Trainer.create(eng.device, c, { algorithm: broken, shardRows })).rejects.toThrow(UnnoisedStepError);
      // the honest algorithm builds with the same configuration
      const t = await Trainer.create(eng.device, c, { algorithm: eager, shardRows });
      t.destroy();
    });
  }

  it('no mechanism declared: the accountant refuses, and no ε is reported', () => {
    const broken: Algorithm = { ...eager, name: 'broken-no-mechanism', mechanisms: () => [] };
    const c = makeConfig({ ...SMALL, algo: 'dpsgd' });
    expect(() => epsilonAfter(c, 1, 3, broken)).toThrow(/declares no privacy mechanism/);
    expect(epsilonAfter(c, 1, 3, eager)).toBeGreaterThan(0);
  });

  it('an unknown algorithm name is an error, never a fallback', () => {
    expect(() => algorithm('dp-sgd')).toThrow(UnknownAlgorithmError);
    expect(() => algorithm('dp-sgd')).toThrow(/known: sgd, dpsgd, lazydp, lazydp-exact/);
    expect(() => makeConfig({ algo: 'dp-sgd' })).toThrow(/algo: expected one of/);
  });
});
