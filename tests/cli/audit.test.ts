// The CLI's audit command (Dawn): the JSON fields, the progress line, a flaw caught, specific errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
// the small configuration of tests/engine/audit.test.ts, where a flaw is caught with a wide margin
const SMALL = [
  '--tables',
  '64,32',
  '--dim',
  '4',
  '--pooling',
  '2',
  '--batch',
  '32',
  '--dense',
  '4',
  '--bottom',
  '8',
  '--top',
  '8',
  '--dataset-size',
  '512',
  '--eval-size',
  '64',
  '--eval-every',
  '0',
  '--steps',
  '100',
  '--sigma',
  '1.5',
  '--seed',
  '12345',
  '--canaries',
  '400',
  '--audit-seed',
  '11',
];

function cli(args: string[]) {
  const r = spawnSync('node', ['dist-cli/cli.mjs', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  execFileSync('node', ['scripts/build-cli.mjs', '--quiet'], { cwd: root });
});

describe('cli audit', () => {
  it('--json: the bound, the accountant ε, the counts and the scores; progress on stderr; a flaw caught', () => {
    const r = cli([
      'audit',
      '--algo',
      'dpsgd',
      '--flaw',
      'noise-touched-rows-only',
      '--canary-kind',
      'input',
      ...SMALL,
      '--json',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/audit dpsgd \[BROKEN: noise-touched-rows-only\]: step 100\/100/);
    const j = JSON.parse(r.out.trim().split('\n').pop()!);
    for (const k of ['epsilonLower', 'epsilon', 'correct', 'guesses', 'canaries', 'delta'])
      expect(typeof j[k], k).toBe('number');
    expect(j.canaries).toBe(400);
    expect(j.delta).toBe(1e-5);
    expect(j.broken).toBe(true);
    expect(j.flawText).toMatch(/BROKEN/);
    expect(j.auditSeed).toBe(11);
    expect(j.scores.in.count + j.scores.out.count).toBe(400);
    expect(j.scores.out.zeros).toBe(j.scores.out.count);
    expect(j.epsilonLower).toBeGreaterThan(j.epsilon);
    expect(j.auditConfig.tables).toEqual([464, 432]);
    expect(j.canaryKind).toBe('input');
    expect(j.scoreText).toMatch(/squared distance/);
  }, 150_000);

  it('text output says when the claim is caught false, and labels the flaw', () => {
    const r = cli(['audit', '--algo', 'lazydp', '--flaw', 'skip-final-flush', ...SMALL]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/WARNING: BROKEN on purpose/);
    expect(r.out).toMatch(/privacy claim is FALSE/);
    // gradient canaries by default: the score line names their score, the idealised bound beside
    expect(r.out).toMatch(/scores \(gradient canaries: projected movement/);
    expect(r.out).toMatch(/idealised bound/);
  }, 150_000);

  it('specific errors: unknown flaw, a flaw of the other algorithm, a non-private algorithm, bad counts', () => {
    const cases: [string[], RegExp][] = [
      [['--algo', 'dpsgd', '--flaw', 'forget-noise'], /unknown flaw forget-noise/],
      [['--algo', 'lazydp', '--flaw', 'noise-touched-rows-only'], /bug of eager DP-SGD/],
      [['--algo', 'dpsgd', '--flaw', 'skip-final-flush'], /bug of LazyDP/],
      [['--algo', 'sgd'], /private algorithm/],
      [['--algo', 'dpsgd', '--canaries', '1'], /canaries/],
      [['--algo', 'dpsgd', '--canary-kind', 'output'], /unknown canary kind output/],
      [['--algo', 'dpsgd', '--table-optimizer', 'momentum'], /tableOptimizer=sgd and weightDecay=0/],
      [['--algo', 'dpsgd', '--confidence', '1.5'], /confidence/],
    ];
    for (const [args, re] of cases) {
      const r = cli(['audit', ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err).toMatch(re);
    }
  });
});
