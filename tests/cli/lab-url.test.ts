// `bench`'s lab links start from --lab-url or LAB_URL (tests/config/lab-url.test.ts for how); a
// bad address is refused before the device opens and before anything is measured or written.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');

beforeAll(() => {
  execFileSync('node', ['scripts/build-cli.mjs', '--quiet'], { cwd: root });
});

describe('bench --lab-url', () => {
  it.each([
    [['--lab-url', 'lab/'], {}, 'lab/'],
    [[], { LAB_URL: 'ftp://host/lab/' }, 'ftp://host/lab/'],
  ])('refuses %j %j, naming the setting, and writes nothing', (args, env, bad) => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'dplab-laburl-')), 'results');
    const r = spawnSync('node', ['dist-cli/cli.mjs', 'bench', '--steps', '2', '--out', out, ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`LAB_URL: "${bad}" is not an address of the lab`);
    expect(r.stderr).toMatch(/absolute http\(s\) URL/);
    expect(existsSync(out)).toBe(false);
  });
});
