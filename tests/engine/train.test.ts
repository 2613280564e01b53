// Non-private training of the default synthetic task learns: held-out AUC clearly above chance.
import { describe, expect, it } from 'vitest';
import { getTestDevice } from '../helpers/gpu';
import { DEFAULT_CONFIG, makeConfig } from '../../src/config/config';
import { Trainer } from '../../src/engine';

describe('training the default synthetic task', () => {
  it('sgd reaches held-out AUC >= 0.75 in 150 steps (chance 0.5; the planted teacher scores ~0.89)', async () => {
    const device = await getTestDevice();
    // the default data, model and optimiser; fewer steps to keep CI quick on SwiftShader
    const t = await Trainer.create(
      device,
      makeConfig({ ...DEFAULT_CONFIG, algo: 'sgd', steps: 150, evalEvery: 50, seed: '5' }),
    );
    const aucs: number[] = [];
    await t.run(150, { onLog: (p) => p.auc !== undefined && aucs.push(p.auc) });
    const s = t.summary();
    console.log(
      `default task: held-out AUC ${s.auc.toFixed(4)} after 150 steps (teacher ${s.teacherAuc!.toFixed(4)}), eval loss ${s.evalLoss.toFixed(4)}`,
    );
    expect(aucs.length).toBe(3);
    expect(s.teacherAuc!).toBeGreaterThan(0.85);
    expect(s.auc).toBeGreaterThanOrEqual(0.75);
    expect(s.auc).toBeLessThanOrEqual(s.teacherAuc! + 0.02);
    expect(s.log[s.log.length - 1].loss).toBeLessThan(s.log[0].loss);
    expect(s.timing).toBe('gpu-timestamp');
    expect(s.stageMedianMs.backward).toBeGreaterThan(0);
    t.destroy();
  });
});
