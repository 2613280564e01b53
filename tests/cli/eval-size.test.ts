// --eval-size with --data (Criteo): bad text is refused naming evalSize and the text given, a
// negative count is refused (it once held out 1 line silently). Refused before any GPU work.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { criteoText } from '../helpers/criteo';

const root = path.resolve(__dirname, '../..');
let file = '';

beforeAll(() => {
  execFileSync('node', ['scripts/build-cli.mjs', '--quiet'], { cwd: root });
  file = path.join(mkdtempSync(path.join(tmpdir(), 'eval-size-')), 'day.tsv');
  writeFileSync(file, criteoText(50));
});

const train = (...args: string[]) =>
  spawnSync('node', ['dist-cli/cli.mjs', 'train', '--data', file, '--tables', '16', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('--eval-size with --data', () => {
  it('refuses text that is not a number, naming evalSize and the text', () => {
    for (const flag of ['--eval-size', '--evalSize']) {
      const r = train(flag, 'abc');
      expect(r.status, flag).toBe(1);
      expect(r.stderr).toMatch(/evalSize: expected a number, got "abc"/);
      expect(r.stderr).not.toMatch(/datasetSize|NaN/);
    }
    expect(train('--eval-size', '0x10').stderr).toMatch(/evalSize: .*decimal only/);
  });
  it('refuses a negative count', () => {
    const r = train('--eval-size', '-5');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/evalSize: must be >= 0, got -5/);
  });
});
