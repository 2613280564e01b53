// The teaching view's account of one DP-AdaFEST / DP-FEST step (RunExtras.festStep, computed on the
// CPU from the batch and the step's draws) against what the GPU step really wrote: a row of the
// table changed exactly when festStep calls it updated, touched or not.
import { describe, expect, it } from 'vitest';
import { engineTest, SMALL_MODEL } from '../helpers/engine';
import { makeConfig } from '../../src/config/config';
import { Trainer } from '../../src/engine';

const eng = engineTest();

const BASE = {
  ...SMALL_MODEL,
  tables: [64, 48],
  dim: 4,
  pooling: 2,
  batch: 16,
  dense: 4,
  datasetSize: 128,
  evalSize: 16,
  steps: 4,
  seed: '4242',
  zipf: 1.2,
};

/** Rows of table 0 whose embedding changed in the next step, and festStep's account of that step. */
async function oneStep(t: Trainer) {
  const D = t.config.dim;
  const rows = t.config.tables[0];
  const before = await t.readRows(0, 0, rows);
  await t.run(1);
  const after = await t.readRows(0, 0, rows);
  const changed: number[] = [];
  for (let r = 0; r < rows; r++)
    if (before.subarray(r * D, (r + 1) * D).some((v, i) => v !== after[r * D + i])) changed.push(r);
  return { changed, step: festStep(t, rows)! };
}

/** The last step's account of table 0's first `rows` rows. */
const festStep = (t: Trainer, rows: number) => t.extras.festStep(t.stepsDone, (s) => t.batchIndices(s), 0, 0, rows);

describe('festStep: what one step did to the rows of a table', () => {
  it('DP-AdaFEST: the rows it calls crossed (touched and untouched) are the rows the GPU wrote', async () => {
    // a low threshold: touched rows both cross and fail to, and untouched rows cross (p = Q(0.5))
    const t = await Trainer.create(eng.device, makeConfig({ ...BASE, algo: 'dp-adafest', threshold: 2 }));
    expect(festStep(t, 64)).toBeUndefined(); // before the first step
    for (let s = 1; s <= 2; s++) {
      const { changed, step } = await oneStep(t);
      const updated = step.rows.filter((r) => r.updated).map((r) => r.row);
      expect(updated).toEqual(changed);
      expect(step.touchedUpdated + step.untouchedUpdated).toBe(updated.length);
      const touched = step.rows.filter((r) => r.examples > 0);
      expect(touched.length).toBe(step.touched);
      // the low threshold gives every kind of row
      expect(touched.some((r) => r.updated) && touched.some((r) => !r.updated)).toBe(true);
      expect(step.untouchedUpdated).toBeGreaterThan(0);
      for (const r of touched) expect(r.updated).toBe(r.noisy! > 2);
    }
    t.destroy();
  });

  it('DP-FEST: the selected rows are written (touched or not), no other row', async () => {
    const t = await Trainer.create(eng.device, makeConfig({ ...BASE, algo: 'dp-fest', festK: 12 }));
    const { changed, step } = await oneStep(t);
    const sel = [...t.festSelection![0]];
    expect(step.rows.filter((r) => r.updated).map((r) => r.row)).toEqual(sel);
    expect(changed).toEqual(sel);
    expect(step.touchedUpdated + step.untouchedUpdated).toBe(12);
    expect(step.rows.some((r) => r.examples > 0 && !r.updated)).toBe(true); // a dropped gradient
    t.destroy();
  });
});
