// Flag parsing (src/cli/args.ts): boolean flags take `=true` / `=false` as they say, and refuse
// any other value; `--json=false` prints text, not JSON.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { BOOL_FLAGS, configFromFlags, parseArgs } from '../../src/cli/args';

const root = path.resolve(__dirname, '../..');

beforeAll(() => {
  execFileSync('node', ['scripts/build-cli.mjs', '--quiet'], { cwd: root });
});

describe('boolean flags', () => {
  it('=false is the flag not given, =true is the flag given, for every boolean flag', () => {
    for (const f of BOOL_FLAGS) {
      expect(parseArgs(['train', `--${f}=false`]).flags[f], f).toBeUndefined();
      expect(parseArgs(['train', `--${f}=true`]).flags[f], f).toBe(true);
      expect(parseArgs(['train', `--${f}`]).flags[f], f).toBe(true);
      // the last one given wins, as for any flag
      expect(parseArgs(['train', `--${f}`, `--${f}=false`]).flags[f], f).toBeUndefined();
    }
  });

  it("a command's own switches are refused elsewhere, naming the flag (train --power did nothing)", () => {
    for (const f of ['power', 'privacy'])
      expect(() => configFromFlags({ [f]: true }, ['export']), f).toThrow(new RegExp(`unknown flag --${f}`));
    expect(configFromFlags({ power: true }, ['power']).rest.power).toBe(true);
    for (const f of ['json', 'quiet', 'help']) expect(configFromFlags({ [f]: true }, []).rest[f], f).toBe(true);
  });

  it('any other value is refused, naming the flag and what it takes', () => {
    for (const v of ['no', '0', '', 'False ', 'yes'])
      expect(() => parseArgs(['privacy', `--json=${v}`]), v).toThrow(/--json takes no value \(or =true, =false\)/);
  });

  it('privacy --json=false prints text; --json=true prints JSON', () => {
    const args = ['dist-cli/cli.mjs', 'privacy', '--accountant', 'rdp', '--q', '0.01', '--sigma', '1'];
    args.push('--steps', '100', '--delta', '1e-5');
    const text = spawnSync('node', [...args, '--json=false'], { cwd: root, encoding: 'utf8' });
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^epsilon = /);
    const json = spawnSync('node', [...args, '--json=true'], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(json.stdout).command).toBe('privacy');
  });
});
