// The CLI's audit prints the idealised bound (src/audit/ideal.ts) beside the measured one.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { idealBoundForRun } from '../../src/audit/ideal';

const root = path.resolve(__dirname, '../..');
// a tiny honest run: a few steps of a small model, 200 canaries
const TINY = [
  ...['--algo', 'dpsgd', '--tables', '64,32', '--dim', '4', '--pooling', '2', '--batch', '32', '--dense', '4'],
  ...['--bottom', '8', '--top', '8', '--dataset-size', '256', '--eval-size', '32', '--eval-every', '0'],
  ...['--steps', '10', '--sigma', '1.5', '--seed', '777', '--canaries', '200', '--audit-seed', '3'],
];

function cli(args: string[]) {
  const r = spawnSync('node', ['dist-cli/cli.mjs', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  execFileSync('node', ['scripts/build-cli.mjs', '--quiet'], { cwd: root });
});

describe('cli audit: the idealised bound', () => {
  it("--json: idealBound for the run's canaries and ε, the number an independent call gives", () => {
    const r = cli(['audit', ...TINY, '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out.trim().split('\n').pop()!);
    const i = j.idealBound;
    expect(i.canaries).toBe(200);
    expect(i.epsilon).toBe(j.epsilon);
    expect(i.delta).toBe(j.delta);
    expect(i.confidence).toBe(j.confidence);
    expect(i.rule).toBe('audit');
    const want = idealBoundForRun(200, j.epsilon, j.delta, { confidence: j.confidence, draws: 5 });
    expect(i.epsilonLower).toBe(want.epsilonLower);
    expect(i.epsilonLower).toBeLessThanOrEqual(j.epsilon);
    expect(i.min).toBeLessThanOrEqual(i.epsilonLower);
    expect(j.idealBoundText).toMatch(/more canaries help/);
  }, 150_000);

  it("text: the idealised bound on its own line, with the canaries, the run's ε and why more canaries help", () => {
    const r = cli(['audit', ...TINY]);
    expect(r.code, r.err).toBe(0);
    const line = r.out.split('\n').find((l) => l.startsWith('idealised bound'));
    expect(line, r.out).toMatch(/^idealised bound \d+\.\d{3} \(draws \d+\.\d{3} \.\. \d+\.\d{3}\)/);
    expect(line).toMatch(/with 200 canaries; more canaries help/);
    const eps = Number(/accountant epsilon (\d+\.\d+)/.exec(r.out)![1]);
    expect(line).toContain(`epsilon ${eps.toFixed(3)}`);
  }, 150_000);
});
