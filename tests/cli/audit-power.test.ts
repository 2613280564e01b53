// The power audit (`audit --power`, src/audit/power.ts) and `audit --seeds N` (src/cli/audit-seeds.ts):
// the power run is the same model on a nearly full batch, calibrated to a target epsilon; the plain
// audit of a sparsely sampled run says that it cannot reach epsilon; --seeds prints every bound,
// the median and the largest, and says CLAIM FALSE when one exceeds epsilon.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { auditFlags, refusePowerKeys } from '../../src/cli/audit';
import { parseArgs } from '../../src/cli/args';
import { summarizeSeeds, seedsText } from '../../src/cli/audit-seeds';
import { lowPowerNote, powerConfig, POWER_EPSILON } from '../../src/audit/power';
import { DEFAULT_CONFIG, makeConfig } from '../../src/config/config';
import { resolveSigma, truncDelta } from '../../src/engine/accounting';
import { maxBatchFor } from '../../src/engine/batch';
import type { AuditResult } from '../../src/audit/run';
import { benchAuditLine, benchAuditWanted } from '../../src/cli/bench-audit';
import { TINY_MODEL } from '../helpers/cli';

const root = path.resolve(__dirname, '../..');

function cli(args: string[]) {
  const r = spawnSync('node', ['dist-cli/cli.mjs', 'audit', '--algo', 'dpsgd', ...TINY_MODEL, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 150_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  execFileSync('node', ['scripts/build-cli.mjs', '--quiet'], { cwd: root });
});

describe('the power run', () => {
  const dflt = makeConfig({ ...DEFAULT_CONFIG, algo: 'dpsgd' });

  it('keeps the model, samples nearly every example, calibrates to the target epsilon (8 when none)', () => {
    const p = powerConfig(dflt);
    expect(p.tables).toEqual(dflt.tables);
    expect([p.dim, p.lr, p.clip, p.delta, p.algo]).toEqual([dflt.dim, dflt.lr, dflt.clip, dflt.delta, dflt.algo]);
    expect(p.batch / p.datasetSize).toBeGreaterThan(0.95);
    expect(p.sampling).toBe('poisson');
    expect(p.targetEpsilon).toBe(POWER_EPSILON);
    expect(powerConfig({ ...dflt, targetEpsilon: 2 }).targetEpsilon).toBe(2);
  });

  it('its batch truncation costs almost no delta, so sigma calibrates; at q = 1 none (one padded slot more)', () => {
    const p = powerConfig(dflt);
    expect(truncDelta(p, p.steps, p.targetEpsilon)).toBeLessThan(p.delta / 4);
    expect(resolveSigma(p)).toBeGreaterThan(1);
    const full = { ...p, batch: p.datasetSize };
    expect(maxBatchFor(full)).toBe(p.datasetSize + 1);
    expect(truncDelta(full, full.steps, full.targetEpsilon)).toBe(0);
    expect(resolveSigma(full)).toBeGreaterThan(resolveSigma(p));
  });

  it('the plain audit of a sparse run says --power can reach epsilon; the power run needs no such line', () => {
    expect(lowPowerNote(dflt)).toMatch(/q = 0\.0078 .*cannot reach the accountant's epsilon; `audit --power`/);
    expect(lowPowerNote(powerConfig(dflt))).toBeUndefined();
  });
});

describe('--power and --seeds flags', () => {
  it('--power is a switch, --seeds a decimal count in 1 .. 1000', () => {
    expect(parseArgs(['audit', '--power', '--audit-seed', '3']).flags).toMatchObject({
      power: true,
      'audit-seed': '3',
    });
    expect(() => parseArgs(['audit', '--power=3'])).toThrow(/--power takes no value/);
    expect(auditFlags({ power: true, seeds: '5' })).toMatchObject({ power: true, seeds: 5 });
    expect(auditFlags({})).toMatchObject({ power: false, seeds: 1 });
    expect(() => auditFlags({ seeds: '0' })).toThrow(/seeds: .*1 \.\. 1000/);
    expect(() => auditFlags({ seeds: '0x5' })).toThrow(/seeds: .*in decimal/);
  });

  it('--power refuses a size it would replace, naming the flag', () => {
    expect(() => refusePowerKeys({ power: true, batch: '64' })).toThrow(
      /batch: --power trains its own run .*drop --batch/,
    );
    expect(() => refusePowerKeys({ 'dataset-size': '64' })).toThrow(/dataset-size: .*drop --dataset-size/);
    expect(() => refusePowerKeys({ power: true, dim: '4', 'target-epsilon': '2' })).not.toThrow();
  });

  it('a bound above epsilon at any seed is reported as CLAIM FALSE, naming the seed', () => {
    const run = (auditSeed: number, epsilonLower: number) =>
      ({
        auditSeed,
        epsilonLower,
        epsilon: 1,
        delta: 1e-5,
        canaries: 50,
        confidence: 0.95,
        algo: 'dpsgd',
      }) as AuditResult;
    const ok = [run(1, 0.2), run(2, 0.9), run(3, 0.5)];
    expect(summarizeSeeds(ok)).toMatchObject({ median: 0.5, max: 0.9, allAtMostEpsilon: true, above: [] });
    const bad = [...ok, run(4, 1.3)];
    const s = summarizeSeeds(bad);
    expect(s).toMatchObject({ max: 1.3, allAtMostEpsilon: false, above: [4] });
    expect(seedsText(s, bad).join('\n')).toMatch(/CLAIM FALSE: .* audit seed\(s\) 4/);
  });
});

describe('audit --seeds on the CLI (tiny model)', () => {
  it('prints a line per seed, the median and the largest bound, and the --power line of a sparse run', () => {
    const r = cli(['--steps', '4', '--eval-every', '0', '--canaries', '8', '--seeds', '2', '--audit-seed', '5']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/audit seed 5: lower bound [\d.]+ vs accountant epsilon [\d.]+/);
    expect(r.out).toMatch(/audit seed 6: /);
    expect(r.out).toMatch(/2 seeds \(dpsgd, 8 gradient canaries\): bounds [\d.]+, [\d.]+/);
    expect(r.out).toMatch(/median bound [\d.]+, min [\d.]+, max [\d.]+/);
    expect(r.out).toMatch(/every bound is at most the accountant's epsilon/);
    const one = cli(['--steps', '4', '--eval-every', '0', '--canaries', '8', '--audit-seed', '1']);
    expect(one.out).toMatch(/cannot reach the accountant's epsilon; `audit --power` audits a full-batch run/);
  }, 200_000);
});

describe("bench's audit line (src/cli/bench-audit.ts)", () => {
  it('runs for the fixed set unless --audit off, for one configuration only with --audit on; other values refused', () => {
    expect(benchAuditWanted(undefined, 'set')).toBe(true);
    expect(benchAuditWanted('off', 'set')).toBe(false);
    expect(benchAuditWanted(undefined, 'config')).toBe(false);
    expect(benchAuditWanted('on', 'url')).toBe(true);
    expect(() => benchAuditWanted('yes', 'set')).toThrow(/audit: needs on or off, got yes/);
  });

  it('says each bound, the idealised one and the goal, and a failed audit by its message', () => {
    const line = benchAuditLine({
      epsilon: 8,
      canaries: 1000,
      auditSeed: 1,
      idealBound: 2.484,
      runs: [
        { algo: 'dpsgd', epsilonLower: 2.462, accountantEpsilon: 7.995, seconds: 21 },
        { algo: 'lazydp', error: 'device lost' },
      ],
    });
    expect(line).toMatch(/epsilon 8, 1000 gradient canaries, audit seed 1\): lower bound dpsgd 2\.46 \(21 s\)/);
    expect(line).toMatch(/lazydp failed: device lost; idealised 2\.48 \(goal: median of 5 seeds >= 2/);
  });
});
