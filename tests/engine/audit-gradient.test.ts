// The one-run audit with white-box gradient canaries (src/audit/canary.ts, the engine's
// update.canaries node) on a small configuration (Dawn/SwiftShader): their rows are never touched
// by real examples, honest runs stay under ε over several seeds, both deliberate flaws are caught,
// and a trainer holding canaries never exports its model.
import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_CANARIES, AUDIT_SMALL } from '../helpers/audit';
import { getTestDevice } from '../helpers/gpu';
import { makeConfig } from '../../src/config/config';
import { makeSynthetic } from '../../src/data/synthetic';
import { Trainer } from '../../src/engine';
import { canaryMembership, checkAudit, runAudit } from '../../src/audit/run';
import { canaryDirections, checkCanaryRows, gradientCanarySpec, sampledCanaries } from '../../src/audit/canary';

let device: GPUDevice;
beforeAll(async () => {
  device = await getTestDevice();
});

const SMALL = AUDIT_SMALL;
const M = AUDIT_CANARIES;

describe('gradient canaries', () => {
  it('directions are unit vectors over all tables, sampling is at rate q among "in" canaries only', () => {
    const m = 50,
      T = 3,
      D = 4;
    const u = canaryDirections(7, m, T, D);
    for (let j = 0; j < m; j++) {
      let n2 = 0;
      for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) n2 += u[(t * m + j) * D + d] ** 2;
      expect(n2).toBeCloseTo(1, 5);
    }
    expect(canaryDirections(7, m, T, D)).toEqual(u);
    const member = canaryMembership(7, 2000);
    let n = 0;
    for (let s = 1; s <= 20; s++) {
      const ids = sampledCanaries(7, member, 0.1, s);
      expect(ids).toEqual(sampledCanaries(7, member, 0.1, s));
      for (const j of ids) expect(member[j]).toBe(true);
      n += ids.length;
    }
    const ins = member.filter(Boolean).length;
    // 20 steps x ~1000 "in" x 0.1: mean ~2000, sd ~42
    expect(Math.abs(n - 20 * ins * 0.1)).toBeLessThan(250);
  });

  it("real examples never name a canary row (the data's rows end where the canaries' begin)", () => {
    const c = makeConfig(SMALL);
    const data = makeSynthetic(c);
    expect(() => checkCanaryRows(data, c.tables)).not.toThrow();
    const spec = gradientCanarySpec(c, 3, canaryMembership(3, 10));
    expect(spec.first).toEqual(c.tables);
    // a data set that names row R_0 (the first canary's) is refused, naming the table
    const bad = { ...data, train: { ...data.train, idx: data.train.idx.map((a) => a.slice()) } };
    bad.train.idx[0][5] = c.tables[0];
    expect(() => checkCanaryRows(bad, c.tables)).toThrow(/row 64 of table 0/);
  });

  it('refuses table momentum, Adam and weight decay (the score assumes plain SGD on the tables)', () => {
    for (const extra of [{ tableOptimizer: 'momentum' }, { tableOptimizer: 'adam' }, { weightDecay: 0.01 }])
      expect(() => checkAudit(makeConfig({ ...SMALL, algo: 'dpsgd', ...extra }), 'none', M, 'gradient')).toThrow(
        /tableOptimizer=sgd and weightDecay=0/,
      );
    expect(() =>
      checkAudit(makeConfig({ ...SMALL, algo: 'dpsgd', tableOptimizer: 'momentum' }), 'none', M, 'input'),
    ).not.toThrow();
  });

  it('a trainer holding gradient canaries never exports its model', async () => {
    const c = makeConfig({ ...SMALL, algo: 'dpsgd', steps: 2, tables: '74,42' });
    const canaries = gradientCanarySpec(makeConfig(SMALL), 1, canaryMembership(1, 10));
    const t = await Trainer.create(device, c, { canaries });
    await t.run(2);
    await expect(t.exportTensors()).rejects.toThrow(/gradient canaries/);
    await expect(t.exportStream(() => {})).rejects.toThrow(/gradient canaries/);
    t.destroy();
  });
});

describe('one-run audit with gradient canaries on a small configuration', () => {
  for (const algo of ['dpsgd', 'lazydp'] as const)
    it(`${algo}, honest, 3 seeds: every bound at or below the accountant's ε`, async () => {
      let shift = 0;
      for (const auditSeed of [1, 2, 3]) {
        const r = await runAudit(device, makeConfig({ ...SMALL, algo }), { canaries: M, auditSeed });
        expect(r.canaryKind).toBe('gradient');
        console.log(`gradient audit ${algo} seed ${auditSeed}: epsilonLower ${r.epsilonLower}, epsilon ${r.epsilon}`);
        expect(r.epsilonLower).toBeLessThanOrEqual(r.epsilon);
        shift += (r.scores.in.mean - r.scores.out.mean) / 3;
      }
      // an included canary adds q·steps = 6.25 sampled steps on average; a score's noise has sd
      // sigma·sqrt(steps) = 15, so the mean shift over 3 x ~200 per group has sd ~0.9
      expect(shift).toBeGreaterThan(3);
    }, 240_000);

  for (const [algo, flaw] of [
    ['dpsgd', 'noise-touched-rows-only'],
    ['lazydp', 'skip-final-flush'],
  ] as const)
    it(`${algo} with ${flaw} (BROKEN on purpose): caught by gradient canaries`, async () => {
      const r = await runAudit(device, makeConfig({ ...SMALL, algo }), { canaries: M, flaw, auditSeed: 11 });
      expect(r.canaryKind).toBe('gradient');
      // no real example touches a canary row, so without their noise the "out" canaries never move
      expect(r.scores.out.zeros).toBe(r.scores.out.count);
      expect(r.epsilonLower).toBeGreaterThan(r.epsilon);
    }, 120_000);
});
