// The one-run audit on the engine: the deliberate-flaw kernel against its reference, canary
// membership and data, and whole audit runs on a small configuration (Dawn/SwiftShader).
import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_CANARIES, AUDIT_SMALL } from '../helpers/audit';
import { getTestDevice, makeBuffer, readBuffer, runDispatches, stepUniform } from '../helpers/gpu';
import { makeConfig } from '../../src/config/config';
import { INVALID_ROW } from '../../src/kernels/gather';
import type { StepValues } from '../../src/kernels/step';
import { seedToKey } from '../../src/noise/philox';
import { makeSynthetic } from '../../src/data/synthetic';
import { Trainer } from '../../src/engine';
import { touchedNoise, touchedNoiseRef } from '../../src/audit/flaws';
import { auditConfig, canaryMembership, checkAudit, runAudit, withCanaries } from '../../src/audit/run';

let device: GPUDevice;
beforeAll(async () => {
  device = await getTestDevice();
});

const SMALL = AUDIT_SMALL;
const M = AUDIT_CANARIES;

describe('audit flaw kernel (BROKEN on purpose): noise on touched rows only', () => {
  it('equals its reference on shards, skipping repeats, empty slots and rows of other shards', async () => {
    const D = 6, // two quads, the second half used
      table = 1,
      rows = 16;
    const st: StepValues = { step: 9, lr: 0.25, invB: 1 / 8, noiseStd: 1.5, key: seedToKey(77n) };
    const keys = Uint32Array.from([0, 0, 3, 5, 5, 5, 9, 12, 15, INVALID_ROW, INVALID_ROW, INVALID_ROW]);
    const E = Float32Array.from({ length: rows * D }, (_, i) => Math.sin(i));
    const want = E.slice();
    touchedNoiseRef(st, table, D, keys, want);
    const touched = new Set([0, 3, 5, 9, 12, 15]);
    for (let r = 0; r < rows; r++) {
      const moved = want.subarray(r * D, (r + 1) * D).some((x, c) => x !== E[r * D + c]);
      expect(moved, `row ${r}`).toBe(touched.has(r));
    }
    const kb = makeBuffer(device, keys);
    for (const [rowStart, n] of [
      [0, 16],
      [0, 6],
      [6, 10],
    ]) {
      const buf = makeBuffer(device, E.slice(rowStart * D, (rowStart + n) * D));
      const p = { n: keys.length, rows: n, D, table, rowStart };
      runDispatches(device, [touchedNoise(device, p, { st: stepUniform(device, st), keys: kb, E: buf })]);
      const got = new Float32Array(await readBuffer(device, buf));
      const ref = want.subarray(rowStart * D, (rowStart + n) * D);
      for (let i = 0; i < got.length; i++)
        expect(Math.abs(got[i] - ref[i]), `shard ${rowStart} value ${i}`).toBeLessThan(2e-4);
      // rows no key names are bit-for-bit unchanged
      for (let r = 0; r < n; r++)
        if (!touched.has(rowStart + r))
          for (let c = 0; c < D; c++) expect(got[r * D + c]).toBe(E[(rowStart + r) * D + c]);
    }
  });
});

describe('canaries', () => {
  it('membership is reproducible from the audit seed, about half in, and another seed differs', () => {
    const a = canaryMembership(42, 1000);
    expect(canaryMembership(42, 1000)).toEqual(a);
    const n = a.filter(Boolean).length;
    expect(n).toBeGreaterThan(440); // Binomial(1000, 1/2) is outside 440..560 with prob < 2e-4
    expect(n).toBeLessThan(560);
    expect(canaryMembership(43, 1000)).not.toEqual(a);
  });

  it('exactly the "in" canaries enter the training set, once each, on their own rows only', () => {
    const c = makeConfig(SMALL);
    const base = makeSynthetic(c);
    const member = canaryMembership(5, 50);
    const { data, canaryOf } = withCanaries(base, member);
    expect(canaryOf).toEqual(member.flatMap((b, j) => (b ? [j] : [])));
    expect(data.train.n).toBe(base.train.n + canaryOf.length);
    expect(data.rows).toEqual(c.tables.map((R) => R + 50));
    const ac = auditConfig(c, 50, canaryOf.length);
    expect(ac.tables).toEqual(data.rows);
    expect(ac.datasetSize).toBe(data.train.n);
    const L = c.pooling;
    c.tables.forEach((R, t) => {
      // real examples are unchanged and use no canary row
      expect(data.train.idx[t].subarray(0, base.train.n * L)).toEqual(base.train.idx[t]);
      const seen: number[] = [];
      data.train.idx[t].forEach((r, i) => {
        if (r !== INVALID_ROW && r >= R) {
          expect(Math.floor(i / L)).toBeGreaterThanOrEqual(base.train.n);
          seen.push(r - R);
        }
      });
      expect(seen).toEqual(canaryOf);
    });
    expect(data.eval).toBe(base.eval);
  });

  it('refuses what it cannot audit, naming the problem', () => {
    expect(() => checkAudit(makeConfig({ ...SMALL, algo: 'sgd' }), 'none', M)).toThrow(/private algorithm/);
    expect(() => checkAudit(makeConfig({ ...SMALL, algo: 'lazydp' }), 'noise-touched-rows-only', M)).toThrow(/dpsgd/);
    expect(() => checkAudit(makeConfig({ ...SMALL, algo: 'dpsgd' }), 'skip-final-flush', M)).toThrow(/LazyDP/);
    expect(() =>
      checkAudit(makeConfig({ ...SMALL, algo: 'dpsgd', noiseKernel: 'unfused' }), 'noise-touched-rows-only', M),
    ).toThrow(/fused/);
    expect(() => checkAudit(makeConfig({ ...SMALL, algo: 'dpsgd' }), 'none', 1)).toThrow(/canaries/);
  });

  it("without a flaw the audit's trainer option changes nothing: the same weights bit for bit", async () => {
    for (const algo of ['dpsgd', 'lazydp'] as const) {
      const c = makeConfig({ ...SMALL, algo, steps: 4 });
      const plain = await Trainer.create(device, c);
      const none = await Trainer.create(device, c, { auditFlaw: 'none' });
      await plain.run(4);
      await none.run(4);
      const [a, b] = [await plain.exportTensors(), await none.exportTensors()];
      expect(b.map((x) => x.name)).toEqual(a.map((x) => x.name));
      a.forEach((x, i) => expect(b[i].data, `${algo} ${x.name}`).toEqual(x.data));
      plain.destroy();
      none.destroy();
    }
  });

  it('a trainer with a deliberate flaw refuses to export', async () => {
    const c = makeConfig({ ...SMALL, algo: 'dpsgd', steps: 2 });
    const t = await Trainer.create(device, c, { auditFlaw: 'noise-touched-rows-only' });
    await t.run(2);
    await expect(t.exportTensors()).rejects.toThrow(/broken on purpose/);
    await expect(t.exportStream(() => {})).rejects.toThrow(/broken on purpose/);
    t.destroy();
  });
});

describe('one-run audit on a small configuration, input canaries', () => {
  for (const algo of ['dpsgd', 'lazydp'] as const) {
    it(`${algo}, honest: the ε lower bound stays at or below the accountant's ε`, async () => {
      const r = await runAudit(device, makeConfig({ ...SMALL, algo }), {
        canaries: M,
        auditSeed: 11,
        canaryKind: 'input',
      });
      expect(r.broken).toBe(false);
      expect(r.canaries).toBe(M);
      expect(r.epsilon).toBeGreaterThan(1);
      console.log(`audit ${algo}: epsilonLower ${r.epsilonLower} (${r.correct}/${r.guesses}), epsilon ${r.epsilon}`);
      expect(r.epsilonLower).toBeLessThanOrEqual(r.epsilon);
      // with noise on every row nothing stays put
      expect(r.scores.out.zeros + r.scores.in.zeros).toBe(0);
    }, 120_000);
  }

  for (const [algo, flaw] of [
    ['dpsgd', 'noise-touched-rows-only'],
    ['lazydp', 'skip-final-flush'],
  ] as const) {
    it(`${algo} with ${flaw} (BROKEN on purpose): the bound exceeds the accountant's ε`, async () => {
      // lazydp: no audit seed given, so it comes from the fixed training seed (12345)
      const r = await runAudit(device, makeConfig({ ...SMALL, algo }), {
        canaries: M,
        canaryKind: 'input',
        flaw,
        auditSeed: algo === 'dpsgd' ? 11 : undefined,
      });
      expect(r.auditSeed).toBe(algo === 'dpsgd' ? 11 : 12345);
      expect(r.member).toEqual(canaryMembership(r.auditSeed, M));
      expect(r.broken).toBe(true);
      // no "out" canary's rows moved (they were never in a batch and got no noise) ...
      expect(r.scores.out.zeros).toBe(r.scores.out.count);
      // ... while nearly every "in" canary's did
      expect(r.scores.in.zeros).toBeLessThan(0.05 * r.scores.in.count);
      console.log(
        `audit ${algo} ${flaw}: epsilonLower ${r.epsilonLower} (${r.correct}/${r.guesses}), epsilon ${r.epsilon}`,
      );
      expect(r.epsilonLower).toBeGreaterThan(r.epsilon);
    }, 120_000);
  }
});
