// scripts/gpu-bench.sh, the one-call benchmark for a lent GPU machine, end to end on this
// machine's adapter (SwiftShader without a GPU) with every size variable set tiny: it must write
// the JSON and Markdown it promises under $OUT, one result per case, and each variable must reach
// its bench flag. A script that fails in its first minute would cost a session its only GPU call.
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

function script(env: Record<string, string>) {
  const out = mkdtempSync(path.join(tmpdir(), 'dplab-gpu-bench-'));
  const r = spawnSync('bash', ['scripts/gpu-bench.sh'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, OUT: out, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, out };
}

beforeAll(() => {
  execFileSync('node', ['scripts/build-cli.mjs', '--quiet'], { cwd: root });
  // the bundled correctness check, which the script runs first (its own test runs every check)
  execFileSync('npm', ['run', '-s', 'build:gpucheck'], { cwd: root });
});

interface Row {
  section: string;
  algo: string;
  totalRows: number;
  steps: number;
  error?: string;
  stepMedianMs: number;
}

describe('scripts/gpu-bench.sh', () => {
  it('with every size set tiny, writes the device, one result per case in JSON and Markdown, and a training run', () => {
    const r = script({
      SHAPE_ROWS: '256',
      SHAPE_STEPS: '1',
      SHAPE_BATCH: '64',
      STEPS: '2',
      SWEEP: '1e3',
      ALGOS: 'sgd,lazydp',
      TRAIN_STEPS: '2',
      AUDIT: 'off',
      GPUCHECK_ONLY: 'gather',
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // the correctness check comes first, its JSON under $OUT (here the checks naming 'gather')
    expect(r.stdout.indexOf('== correctness check')).toBe(0);
    const check = JSON.parse(readFileSync(path.join(r.out, 'gpucheck.json'), 'utf8'));
    expect(check.ok).toBe(true);
    expect(check.checks.length).toBeGreaterThan(0);
    expect(check.checks.every((c: { name: string }) => /gather/.test(c.name))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(r.out, 'device.json'), 'utf8')).vendor).toBeTruthy();

    const files = readdirSync(r.out).filter((n) => n.startsWith('bench-'));
    expect(files.filter((n) => n.endsWith('.json'))).toHaveLength(1);
    const name = files.find((n) => n.endsWith('.json'))!;
    expect(files).toContain(name.replace(/json$/, 'md'));
    const j = JSON.parse(readFileSync(path.join(r.out, name), 'utf8'));
    expect(j.mode).toBe('set');
    expect(j.complete).toBe(true);
    const rows = j.results as Row[];
    // three sections x two algorithms, each measured at the sizes given
    expect(rows.map((x) => `${x.section} ${x.algo} ${x.totalRows}`)).toEqual([
      'default sgd 9472',
      'default lazydp 9472',
      'shape sgd 2048',
      'shape lazydp 2048',
      'sweep sgd 1000',
      'sweep lazydp 1000',
    ]);
    for (const x of rows) {
      expect(x.error, `${x.section} ${x.algo}`).toBeUndefined();
      expect(x.stepMedianMs).toBeGreaterThan(0);
      expect(x.steps).toBe(x.section === 'shape' ? 1 : 2);
    }
    expect(j.sections.find((s: { name: string }) => s.name === 'shape').config.batch).toBe(64);
    const md = readFileSync(path.join(r.out, name.replace(/json$/, 'md')), 'utf8');
    for (const x of rows) expect(md).toMatch(new RegExp(`\\| ${x.section} \\| ${x.algo} \\| ${x.totalRows} \\| \\d`));
    expect(md).toMatch(/cases: 6 of 6\n/);

    const train = JSON.parse(readFileSync(path.join(r.out, 'train-lazydp.json'), 'utf8'));
    expect(train.config).toMatchObject({ algo: 'lazydp', steps: 2 });
    // the summary reads bench's file
    expect(r.stdout).toContain(`${name}: 6 of 6 cases`);
  });

  it('each size variable alone reaches its bench flag (a bad value is refused, naming the flag)', () => {
    const flags: Record<string, string> = {
      SHAPE_ROWS: 'shape-rows',
      SHAPE_STEPS: 'shape-steps',
      SHAPE_BATCH: 'shape-batch',
      STEPS: 'steps',
      SWEEP: 'sweep',
      ALGOS: 'algos',
      AUDIT: 'audit',
    };
    for (const [v, flag] of Object.entries(flags)) {
      // TRAIN_STEPS=0 is refused at once: only the flag check of bench is wanted here
      const r = script({ [v]: '0', TRAIN_STEPS: '0', GPUCHECK: 'skip' });
      expect(r.code, v).toBe(1);
      const bench = readFileSync(path.join(r.out, 'bench.txt'), 'utf8');
      expect(bench, v).toMatch(new RegExp(`error: ${flag}: `));
      expect(r.stderr, v).toMatch(/error: steps: /);
    }
  });
});
