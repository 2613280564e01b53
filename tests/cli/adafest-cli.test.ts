// `train --algo dp-adafest` says, before the run, what its threshold costs each step: the expected
// untouched crossings R Q(tau / (sigma1 C1)) over the tables (src/privacy/fest.ts crossingsLine).
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { TINY_MODEL } from '../helpers/cli';

const root = path.resolve(__dirname, '../..');

function cli(args: string[]) {
  const r = spawnSync('node', ['dist-cli/cli.mjs', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  execFileSync('node', ['scripts/build-cli.mjs', '--quiet'], { cwd: root });
});

describe('cli train --algo dp-adafest', () => {
  it('says the expected untouched crossings per step before the run, in the text and the JSON', () => {
    // tables 40 + 30 rows, tau / (sigma1 C1) = 1: 70 Q(1) = 11.1 untouched rows a step
    const args = ['train', ...TINY_MODEL, '--steps', '2', '--algo', 'dp-adafest', '--threshold', '4', '--seed', '5'];
    const text = cli(args);
    expect(text.code, text.err).toBe(0);
    const line = text.out.split('\n').findIndex((l) => l.startsWith('dp-adafest: an untouched row crosses'));
    expect(line).toBeGreaterThan(0);
    expect(line).toBeLessThan(text.out.split('\n').findIndex((l) => l.startsWith('step ')));
    expect(text.out).toMatch(
      /Q\(4 \/ \(1 \* 4\)\) = 0\.159: about 11\.1 untouched rows updated per step \(R p over 70 rows\)/,
    );
    const json = cli([...args, '--json']);
    expect(json.code, json.err).toBe(0);
    const c = (JSON.parse(json.out) as { crossings: { probability: number; perStep: number } }).crossings;
    expect(Math.abs(c.probability - 0.158655)).toBeLessThan(1e-6);
    expect(Math.abs(c.perStep - 70 * 0.158655)).toBeLessThan(1e-4);
  });
});
