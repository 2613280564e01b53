// `frontier`: utility against epsilon, in rounds of one seed, the JSON written after every run.
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TINY_MODEL } from '../helpers/cli';
import { makeConfig } from '../../src/config/config';
import { expectedTouchedRows, rowsUpdatedPerStep, evaluations } from '../../src/cli/frontier-rows';
import type { Dataset } from '../../src/data/synthetic';
import { INVALID_ROW } from '../../src/data/format';

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

describe('frontier rows per step', () => {
  // two tables; examples' bags: table 0 row 1 in three examples (twice in one bag), row 2 in one
  const L = 2;
  const idx0 = Uint32Array.from([1, 1, 1, 2, 1, INVALID_ROW]);
  const idx1 = Uint32Array.from([0, INVALID_ROW, 0, INVALID_ROW, 3, INVALID_ROW]);
  const train: Dataset = {
    n: 3,
    F: 1,
    T: 2,
    L,
    dense: new Float32Array(3),
    idx: [idx0, idx1],
    labels: new Float32Array(3),
  };

  it('counts the expected distinct rows of a Poisson batch from the examples each row is in', () => {
    // q = 1: every example, so every row present once: rows 1, 2 of table 0, rows 0, 3 of table 1
    expect(expectedTouchedRows(train, [4, 4], 1)).toBe(4);
    const q = 0.3,
      p = (n: number) => 1 - (1 - q) ** n;
    // row 1 of table 0 is in 3 examples, row 2 in 1; row 0 of table 1 in 2, row 3 in 1
    expect(expectedTouchedRows(train, [4, 4], q)).toBeCloseTo(p(3) + p(1) + p(2) + p(1), 12);
  });

  it('writes touched rows for sgd, every row for dpsgd, touched + lookahead + flushes for lazydp', () => {
    const base = { tables: [1000, 24], steps: 10, evalEvery: 0, datasetSize: 64, batch: 8 };
    expect(rowsUpdatedPerStep(makeConfig({ ...base, algo: 'sgd' }), 5)).toBe(5);
    expect(rowsUpdatedPerStep(makeConfig({ ...base, algo: 'dpsgd' }), 5)).toBe(1024);
    // a dense table optimizer writes every row even without noise
    expect(rowsUpdatedPerStep(makeConfig({ ...base, algo: 'sgd', tableOptimizer: 'adam', lr: 0.01 }), 5)).toBe(1024);
    // 10 steps: 10 gradient writes of 5 rows, 9 lookaheads of 5 rows, one flush of 1024 rows
    expect(rowsUpdatedPerStep(makeConfig({ ...base, algo: 'lazydp' }), 5)).toBeCloseTo((50 + 45 + 1024) / 10, 12);
    // evaluations every 4 steps flush at steps 4, 8 and the last
    expect(evaluations(makeConfig({ ...base, evalEvery: 4 }))).toBe(3);
    expect(evaluations(makeConfig({ ...base, evalEvery: 5 }))).toBe(2);
  });
});
