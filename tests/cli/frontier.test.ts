// `frontier`: utility against epsilon, in rounds of one seed, the JSON written after every run.
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TINY_MODEL } from '../helpers/cli';

const root = path.resolve(__dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'dplab-frontier-'));

function cli(args: string[]) {
  const r = spawnSync('node', ['dist-cli/cli.mjs', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  execFileSync('node', ['scripts/build-cli.mjs', '--quiet'], { cwd: root });
});

interface Run {
  algo: string;
  targetEpsilon?: number;
  epsilon?: number;
  sigma?: number;
  seed: string;
  auc: number;
  evalLoss: number;
  stepMedianMs: number;
  rowsUpdated: number;
}

describe('cli frontier', () => {
  it('runs in rounds, calibrates each target, keeps the baseline and rewrites --out after every run', async () => {
    const out = path.join(dir, 'frontier.json');
    const args = [
      'dist-cli/cli.mjs',
      'frontier',
      ...TINY_MODEL,
      '--steps',
      '4',
      '--algos',
      'dpsgd,lazydp',
      '--epsilons',
      '4',
      '--seeds',
      '2',
      '--json',
      '--out',
      out,
    ];
    const child = spawn('node', args, { cwd: root });
    let stdout = '',
      stderr = '';
    let partial: unknown;
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      // the progress line of the first run is said after its results were saved: read them then
      if (partial === undefined && stderr.includes('[1/6]')) partial = JSON.parse(readFileSync(out, 'utf8'));
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    // after the first run: a valid file with the first round's baseline and no points yet
    const first = partial as { complete: boolean; baseline: Run[]; points: Run[] };
    expect(first.complete).toBe(false);
    expect(first.baseline.map((r) => r.seed)).toEqual(['1']);
    expect(first.points).toEqual([]);

    const j = JSON.parse(stdout);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(j);
    expect(j.complete).toBe(true);
    expect(j.runs).toBe(6);
    expect(j.device.vendor).toBeTypeOf('string');
    expect(j.teacherAuc).toBeGreaterThan(0.5);
    // rounds: seed 1's every algorithm and target, then seed 2's
    const points = j.points as Run[];
    expect(points.map((p) => `${p.seed} ${p.algo}`)).toEqual(['1 dpsgd', '1 lazydp', '2 dpsgd', '2 lazydp']);
    expect((j.baseline as Run[]).map((b) => `${b.seed} ${b.algo}`)).toEqual(['1 sgd', '2 sgd']);
    const tables = 40 + 30;
    for (const p of points) {
      expect(Object.keys(p)).toEqual([
        'algo',
        'targetEpsilon',
        'epsilon',
        'sigma',
        'seed',
        'auc',
        'evalLoss',
        'stepMedianMs',
        'rowsUpdated',
      ]);
      // sigma was calibrated to the target: epsilon at most the target, and close to it
      expect(p.targetEpsilon).toBe(4);
      expect(p.epsilon!).toBeLessThanOrEqual(4 + 1e-9);
      expect(p.epsilon!).toBeGreaterThan(4 * 0.98);
      expect(p.sigma!).toBeGreaterThan(0);
      expect(p.auc).toBeGreaterThanOrEqual(0);
      expect(p.auc).toBeLessThanOrEqual(1);
      expect(p.evalLoss).toBeGreaterThan(0);
      expect(p.stepMedianMs).toBeGreaterThan(0);
    }
    // eager DP-SGD writes every row; LazyDP fewer here (2 x touched + one flush over 4 steps); sgd the touched
    expect(points[0].rowsUpdated).toBe(tables);
    expect(points[1].rowsUpdated).toBeLessThan(tables);
    for (const b of j.baseline as Run[]) {
      expect(b.sigma).toBeUndefined();
      expect(b.rowsUpdated).toBeGreaterThan(0);
      expect(b.rowsUpdated).toBeLessThan(points[1].rowsUpdated);
    }
    // sigma depends on the target, not on the seed
    expect(points[0].sigma).toBe(points[2].sigma);
  }, 120_000);

  it('refuses what does not apply, naming the flag', () => {
    const cases: [string[], RegExp][] = [
      [['--algos', 'sgd'], /algos: sgd is the non-private baseline/],
      [['--algos', 'dpsgd,foo'], /algos: unknown private algorithm "foo"/],
      [['--epsilons', '1,0'], /epsilons: each target must be a number/],
      [['--epsilons', '1,1'], /epsilons: lists 1,1: each value once/],
      [['--seeds', '0'], /seeds: needs a whole number of seeds/],
      [['--sigma', '1'], /sigma: does not apply to frontier/],
      [['--algo', 'dpsgd'], /algo: does not apply to frontier: give the private algorithms as --algos/],
      [['--bogus', '1'], /unknown flag --bogus/],
    ];
    for (const [args, msg] of cases) {
      const r = cli(['frontier', ...TINY_MODEL, ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err).toMatch(msg);
    }
  });
});

describe('cli frontier: dp-fest, dp-adafest and the rows each step writes', () => {
  // threshold 4: at the default 16 no row of the tiny model crosses in 4 steps
  const tiny = [...TINY_MODEL, '--steps', '4', '--threshold', '4'];

  it('calibrates dp-fest and dp-adafest, and reports the rows the trainer counted, run for run', () => {
    const r = cli(['frontier', ...tiny, '--algos', 'lazydp,dp-fest,dp-adafest', '--epsilons', '4', '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as { points: Run[]; baseline: Run[] };
    expect(j.points.map((p) => p.algo)).toEqual(['lazydp', 'dp-fest', 'dp-adafest']);
    for (const p of j.points) {
      expect(p.epsilon!, p.algo).toBeLessThanOrEqual(4 + 1e-9);
      expect(p.epsilon!, p.algo).toBeGreaterThan(4 * 0.98);
      expect(p.rowsUpdated, p.algo).toBeGreaterThan(0);
    }
    // the same LazyDP run by `train`: its own count of the rows each step wrote, to the last digit
    // (once an estimate from q and the data, which counted flushes the trainer does not)
    const p = j.points[0];
    const t = cli([
      'train',
      ...tiny,
      '--algo',
      'lazydp',
      '--target-epsilon',
      '4',
      '--seed',
      p.seed,
      '--eval-every',
      '0',
      '--json',
    ]);
    expect(t.code, t.err).toBe(0);
    const s = JSON.parse(t.out).summary as { perStep: { rowsUpdated: number }; sigma: number; auc: number };
    expect(p.rowsUpdated).toBe(s.perStep.rowsUpdated);
    expect(p.sigma).toBe(s.sigma);
    expect(p.auc).toBe(s.auc);
  }, 60_000);

  it('refuses a target below what the noisy counts or histogram spend alone, before the first run', () => {
    const r = cli(['frontier', ...tiny, '--algos', 'dp-adafest', '--epsilons', '0.05']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /epsilons: dp-adafest cannot reach target epsilon 0.05: .*selectionSigma 1.* raise selectionSigma/,
    );
    expect(r.out).not.toMatch(/\[1\//);
    // dp-fest's private histogram is part of epsilon; a public prior spends none
    const f = cli(['frontier', ...tiny, '--algos', 'dp-fest', '--epsilons', '0.05', '--fest-histogram-sigma', '0.3']);
    expect(f.err).toMatch(/dp-fest cannot reach target epsilon 0.05: .*festHistogramSigma 0.3/);
  }, 60_000);
});
