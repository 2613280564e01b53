// run({ deferPrvEpsilon }): the lab's trainer leaves PRV epsilons out of its log points (its
// privacy worker fills them in with epsilonLogged, and hands the run's final epsilon to summary);
// RDP and sigma-0 values stay in. The values filled in are those the trainer would have logged.
import { describe, expect, it } from 'vitest';
import { engineTest, SMALL_MODEL } from '../helpers/engine';
import { makeConfig } from '../../src/config/config';
import { epsilonAfter, epsilonLogged, Trainer, type LogPoint } from '../../src/engine';

const eng = engineTest();

const BASE = {
  ...SMALL_MODEL,
  tables: [64, 32],
  dim: 4,
  pooling: 2,
  batch: 8,
  dense: 4,
  datasetSize: 128,
  evalSize: 16,
  steps: 10,
  seed: '11',
  algo: 'dpsgd',
};

async function logged(over: Record<string, unknown>, defer: boolean): Promise<{ t: Trainer; points: LogPoint[] }> {
  const t = await Trainer.create(eng.device, makeConfig({ ...BASE, ...over }));
  const points: LogPoint[] = [];
  await t.run(10, { logEvery: 3, deferPrvEpsilon: defer, onLog: (p) => points.push(p) });
  return { t, points };
}

describe('deferred PRV epsilon', () => {
  it('PRV: log points carry no epsilon; filled in with epsilonLogged they equal what the trainer logs', async () => {
    const { t, points } = await logged({ accountant: 'prv' }, true);
    const own = await logged({ accountant: 'prv' }, false);
    expect(t.prvDeferrable()).toBe(true);
    expect(points.map((p) => p.step)).toEqual(own.points.map((p) => p.step));
    expect(points.every((p) => p.epsilon === undefined)).toBe(true);
    for (const [i, p] of points.entries()) {
      const e = epsilonLogged(t.config, t.sigma, p.step)!;
      expect(e).toBeGreaterThan(0);
      expect(e).toBe(own.points[i].epsilon);
    }
    // the run's epsilon: given to summary, or computed there; the same number
    const after = epsilonAfter(t.config, t.sigma, t.stepsDone)!;
    expect(t.summary(undefined, after).epsilon).toBe(after);
    expect(own.t.summary().epsilon).toBe(after);
    t.destroy();
    own.t.destroy();
  });

  it('RDP and sigma 0 keep their epsilon in every point', async () => {
    for (const over of [{ accountant: 'rdp' }, { accountant: 'prv', sigma: 0 }]) {
      const { t, points } = await logged(over, true);
      expect(t.prvDeferrable()).toBe(false);
      expect(points.length).toBeGreaterThan(1);
      for (const p of points) expect(p.epsilon).toBe(epsilonLogged(t.config, t.sigma, p.step));
      if (over.accountant === 'prv') expect(points.at(-1)!.epsilon).toBe(Infinity);
      t.destroy();
    }
  });
});
