// `bench` (src/cli/bench.ts) on a tiny configuration: the per-step counters, the files it writes,
// the lab link it ends with (decoding to the configuration that ran, with its results), and
// `--url` running a link's configuration. Numbers are checked for consistency, never for speed.
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TINY_MODEL } from '../helpers/cli';
import { decodeState } from '../../src/config/url';
import { ALGOS, DEFAULT_CONFIG, makeConfig } from '../../src/config/config';
import { configFromFlags } from '../../src/cli/args';
import { planBench, setDefaults, SET_FLAGS } from '../../src/cli/bench';
import { STAGES } from '../../src/engine/types';

const root = path.resolve(__dirname, '../..');
const out = mkdtempSync(path.join(tmpdir(), 'dplab-bench-'));
const TINY = TINY_MODEL;

function bench(args: string[], dir = out) {
  const r = spawnSync('node', ['dist-cli/cli.mjs', 'bench', '--out', dir, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
  });
  return {
    code: r.status,
    json: r.stdout.trim().startsWith('{') ? JSON.parse(r.stdout.trim().split('\n').pop()!) : undefined,
    out: r.stdout,
    err: r.stderr,
  };
}

beforeAll(() => {
  execFileSync('node', ['scripts/build-cli.mjs', '--quiet'], { cwd: root });
});

interface Row {
  algo: string;
  tables: number[];
  stepMedianMs: number;
  stepP10Ms: number;
  stepP90Ms: number;
  stageMedianMs: Record<string, number>;
  perStep: {
    dispatches: number;
    uploadBytes: number;
    cpuMs: { sampling: number; assembly: number; encoding: number };
    batchOnGpu: boolean;
  };
  dispatchesByStage: Record<string, number>;
  densePassOfCopy?: number;
  copyGBps?: number;
}

describe('cli bench', () => {
  let link = '';

  it('prints per-step dispatches, uploads and CPU time, writes JSON and Markdown, ends with a link that decodes to its run', () => {
    const r = bench([...TINY, '--algos', 'sgd,lazydp', '--steps', '6', '--json']);
    expect(r.code, r.err).toBe(0);
    const j = r.json;
    expect(j.mode).toBe('config');
    expect(typeof j.date).toBe('string');
    const rows = j.results as Row[];
    expect(rows.map((x) => x.algo)).toEqual(['sgd', 'lazydp']);
    // a steady-state step's dispatches; the mean over the run is at least that (LazyDP's first
    // step also sorts its batch)
    const steady = (x: Row) => Object.values(x.dispatchesByStage).reduce((a, b) => a + b, 0);
    for (const x of rows) {
      expect(Number.isInteger(steady(x)) && steady(x) > 0).toBe(true);
      expect(x.perStep.dispatches).toBeGreaterThanOrEqual(steady(x));
      // the data set is on the GPU: a step uploads its example ids (at least `batch` of them) and the
      // uniforms (the exact count, and the CPU path's, in tests/engine/step-costs.test.ts)
      expect(x.perStep.batchOnGpu).toBe(true);
      expect(x.perStep.uploadBytes).toBeGreaterThan(4 * 8);
      expect(x.perStep.cpuMs.assembly).toBeGreaterThan(0);
      expect(x.perStep.cpuMs.encoding).toBeGreaterThan(0);
      expect(x.stepP10Ms).toBeLessThanOrEqual(x.stepMedianMs);
      expect(x.stepMedianMs).toBeLessThanOrEqual(x.stepP90Ms);
    }
    // less than the batch's dense values and indices alone, which the CPU-assembled batch uploaded
    expect(rows[0].perStep.uploadBytes).toBeLessThan(4 * 8 * (3 + 2 * 2));
    // LazyDP uploads the lookahead batch's example ids too, and runs the lookahead's dispatches
    expect(rows[1].perStep.uploadBytes).toBeGreaterThan(rows[0].perStep.uploadBytes);
    expect(steady(rows[1])).toBeGreaterThan(steady(rows[0]));
    // the files, with device, date and commit
    const saved = JSON.parse(readFileSync(j.files.json, 'utf8'));
    expect(saved.results).toEqual(j.results);
    const md = readFileSync(j.files.markdown, 'utf8');
    expect(md).toContain(j.date);
    expect(md).toContain(j.device.description);
    expect(md).toMatch(/\| config \| lazydp \| 70 \|/);
    // the table gives a steady-state step's dispatches
    expect(md).toMatch(new RegExp(`\\| config \\| lazydp \\| 70 \\| [^|]+ \\| [^|]+ \\| ${steady(rows[1])} \\|`));
    // the link: the configuration that ran (its tables as given, 40 + 30) and its numbers
    link = j.links[0].url;
    const { state, issues } = decodeState(link.slice(link.indexOf('#') + 1));
    expect(issues).toEqual([]);
    expect(rows.map((x) => x.tables)).toEqual([
      [40, 30],
      [40, 30],
    ]);
    expect(state.config).toEqual(makeConfig(j.sections[0].config));
    expect(Object.keys(state.results!.algos)).toEqual(['sgd', 'lazydp']);
    for (const [k, x] of rows.entries()) {
      const got = state.results!.algos[x.algo as 'sgd' | 'lazydp']!;
      for (const st of STAGES) expect(got.stageMs[st]).toBeCloseTo(x.stageMedianMs[st], 2);
      expect(got.stepMs, `row ${k}`).toBeGreaterThanOrEqual(x.stepMedianMs * 0.999);
    }
  });

  it('--url runs the configuration of a link; dpsgd measures its dense pass against the copy kernel', () => {
    expect(link).not.toBe('');
    const r = bench(['--url', link, '--algos', 'dpsgd', '--steps', '3', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(r.json.mode).toBe('url');
    const x = r.json.results[0] as Row;
    expect(x.algo).toBe('dpsgd');
    expect(x.tables).toEqual([40, 30]);
    expect(r.json.config).toMatchObject({ dim: 4, pooling: 2, batch: 8, dense: 3, bottom: [6], top: [5], steps: 3 });
    expect(x.copyGBps).toBeGreaterThan(0);
    expect(x.densePassOfCopy).toBeGreaterThan(0);
    expect(existsSync(r.json.files.markdown)).toBe(true);
  });

  it('a link that does not decode is refused, naming the field', () => {
    const r = spawnSync('node', ['dist-cli/cli.mjs', 'bench', '--url', 'http://x/#v=1&dim=abc'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/url: the link does not decode cleanly: dim/);
  });
});

describe('bench flags: the fixed set and one configuration (planned before any device)', () => {
  const plan = (flags: Record<string, string | boolean>) => planBench(flags, configFromFlags);
  const uniq = <T>(xs: T[]) => [...new Set(xs)];

  it("every combination of the fixed set's flags runs the set, each value in its place", () => {
    const values: Record<string, string> = {
      steps: '3',
      'shape-rows': '256,512',
      'shape-steps': '2',
      'shape-batch': '64',
      sweep: '1e3,1e4',
      algos: 'sgd,lazydp',
    };
    const keys = Object.keys(values);
    const d = setDefaults(true);
    for (let m = 0; m < 1 << keys.length; m++) {
      const given = Object.fromEntries(keys.filter((_, i) => m & (1 << i)).map((k) => [k, values[k]]));
      const p = plan({ json: true, out: out, ...given });
      const what = JSON.stringify(given);
      expect(p.mode, what).toBe('set');
      const [dflt, shape, sweep] = p.sections(true);
      expect([dflt.name, shape.name, sweep.name]).toEqual(['default', 'shape', 'sweep']);
      for (const s of [dflt, sweep])
        for (const c of s.cases) expect(c.config.steps, what).toBe(given.steps ? 3 : d.steps);
      expect(uniq(shape.cases.map((c) => c.totalRows)), what).toEqual(
        given['shape-rows'] ? [2048, 4096] : d.shapeRows.map((r) => 8 * r),
      );
      for (const c of shape.cases) {
        expect(c.config.steps, what).toBe(given['shape-steps'] ? 2 : d.shapeSteps);
        expect(c.config.batch, what).toBe(given['shape-batch'] ? 64 : 2048);
      }
      expect(uniq(sweep.cases.map((c) => c.totalRows)), what).toEqual(given.sweep ? [1e3, 1e4] : d.sweep);
      for (const s of [dflt, shape, sweep])
        expect(uniq(s.cases.map((c) => c.algo)), what).toEqual(
          given.algos ? ['sgd', 'lazydp'] : s === shape ? d.shapeAlgos : ALGOS,
        );
    }
  });

  it("the shape's flags with configuration keys, --config or --url are refused, naming why", () => {
    for (const k of SET_FLAGS) {
      expect(() => plan({ dim: '8', sweep: '1e3', [k]: '2' })).toThrow(
        new RegExp(`--${k} sizes the fixed set's benchmark shape.*one configuration \\(--dim\\)`),
      );
      expect(() => plan({ url: 'http://x/#v=1&dim=8', [k]: '2' })).toThrow(/one configuration \(--url\)/);
    }
    // --sweep alone stays in the set (the sweep section's totals); with a key it sweeps that configuration
    expect(plan({ sweep: '1e3' }).mode).toBe('set');
    expect(
      plan({ sweep: '1e3', dim: '8' })
        .sections(true)[0]
        .cases.map((c) => c.totalRows),
    ).toEqual(ALGOS.map(() => 1e3));
  });

  it('one configuration without --sweep runs the tables it was given, unequal ones too', () => {
    const given: Record<string, string>[] = [{ tables: '512,256' }, { url: 'http://x/#v=1&tables=512,256' }];
    for (const flags of given) {
      const [s] = plan(flags).sections(true);
      expect(s.config.tables).toEqual([512, 256]);
      for (const c of s.cases) expect(c.config.tables, JSON.stringify(flags)).toEqual([512, 256]);
    }
    // --sweep sets the total, spread evenly over the configuration's tables
    const [s] = plan({ tables: '512,256', sweep: '1000' }).sections(true);
    for (const c of s.cases) expect(c.config.tables).toEqual([500, 500]);
  });

  it('a link may not raise the memory limit on its own; --memory-limit given with it may', () => {
    const link = 'http://x/#v=1&dim=8&memoryLimit=4096';
    const p = plan({ url: link });
    expect(p.config.memoryLimit).toBe(DEFAULT_CONFIG.memoryLimit);
    expect(p.notes.join()).toMatch(/memoryLimit 4096 GiB; bench keeps 4 GiB.*--memory-limit 4096/);
    expect(plan({ url: link, 'memory-limit': '64' }).config.memoryLimit).toBe(64);
    expect(plan({ url: link, memoryLimit: '64' }).notes).toEqual([]);
  });
});

describe('cli bench: no measurement lost, no figure without its meaning', () => {
  const fresh = () => mkdtempSync(path.join(tmpdir(), 'dplab-bench-'));

  it('--out that is not a folder is refused before the first run', () => {
    const r = bench([...TINY, '--algos', 'sgd', '--steps', '3'], '/etc/passwd');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/out: \/etc\/passwd is not a folder/);
    expect(r.out).not.toMatch(/device:/);
  });

  it('a link without a # fragment is refused, not run as the defaults', () => {
    for (const link of ['file:///etc/passwd', 'http://localhost:5173/', 'http://localhost:5173/#']) {
      const r = bench(['--url', link]);
      expect(r.code, link).toBe(1);
      expect(r.err).toMatch(/url: the link has no configuration after a '#'/);
      expect(r.out).not.toMatch(/device:/);
    }
  });

  it("a link's memory limit is held to the default unless --memory-limit says otherwise", () => {
    const link = `http://x/#v=1&tables=40,30&dim=4&pooling=2&batch=8&dense=3&bottom=6&top=5&datasetSize=64&evalSize=32&memoryLimit=4096`;
    const r = bench(['--url', link, '--algos', 'sgd', '--steps', '3', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(r.json.config.memoryLimit).toBe(DEFAULT_CONFIG.memoryLimit);
    expect(r.err).toMatch(/note: the link asks for memoryLimit 4096 GiB/);
  });

  it('a skipped case and a failed accountant lose none of the other measurements', () => {
    const dir = fresh();
    const r = bench(
      [...TINY, '--sigma', '0.05', '--algos', 'sgd,lazydp', '--table-optimizer', 'adam', '--steps', '3', '--json'],
      dir,
    );
    expect(r.code, r.err).toBe(0);
    expect(r.json.accounting.error).toMatch(/sigma/);
    const [sgd, lazy] = r.json.results as (Row & { error?: string })[];
    expect(sgd.stepMedianMs).toBeGreaterThan(0);
    expect(lazy.error).toMatch(/tableOptimizer/);
    const saved = JSON.parse(readFileSync(r.json.files.json, 'utf8'));
    expect(saved.complete).toBe(true);
    expect(saved.results).toEqual(r.json.results);
    const md = readFileSync(r.json.files.markdown, 'utf8');
    expect(md).toMatch(/\| config \| sgd \| 70 \| \d/);
    expect(md).toMatch(/\| config \| lazydp \| 70 \| skipped: tableOptimizer/);
    expect(md).toMatch(/accountant: failed: .*sigma/);
  });

  it('a bench whose every case was skipped exits non-zero, its files written', () => {
    const r = bench([...TINY, '--algos', 'lazydp', '--table-optimizer', 'adam', '--json'], fresh());
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no case ran: all 1 were skipped or failed/);
    expect(r.json.results[0].error).toMatch(/tableOptimizer/);
    expect(existsSync(r.json.files.json) && existsSync(r.json.files.markdown)).toBe(true);
  });

  it("the accountant's figure at sigma 0 says what it is: sigma 1 in its place, not this run's epsilon", () => {
    const r = bench([...TINY, '--algo', 'dpsgd', '--sigma', '0', '--algos', 'sgd', '--steps', '3'], fresh());
    expect(r.code, r.err).toBe(0);
    const line = r.out.split('\n').find((l) => l.startsWith('accountant'));
    expect(line).toMatch(/a timing figure, not this run's epsilon: epsilon of 20000 steps at q 0\.125, sigma 1,/);
    expect(line).toMatch(/sigma 1 stands in for this configuration's sigma 0, which gives no privacy/);
  });

  it('a run cut off after its first case keeps that case in its JSON and Markdown', async () => {
    const dir = fresh();
    const child = spawn(
      'node',
      [
        'dist-cli/cli.mjs',
        'bench',
        '--out',
        dir,
        ...TINY,
        '--algos',
        'sgd,dpsgd',
        '--steps',
        '3',
        '--sweep',
        '70,2000000',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let text = '';
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.stdout.on('data', (b: Buffer) => {
      text += b.toString();
      // the first case's line: as a time limit would, stop the process where it stands
      if (/^config\s+sgd/m.test(text)) child.kill('SIGKILL');
    });
    await exited;
    expect(text).toMatch(/^config\s+sgd/m);
    const name = readdirSync(dir).find((n) => /^bench-.*\.json$/.test(n))!;
    const saved = JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
    expect(saved.complete).toBe(false);
    expect(saved.cases).toBe(4);
    expect(saved.results.length).toBeGreaterThanOrEqual(1);
    expect(saved.results.length).toBeLessThan(4);
    expect(saved.results[0]).toMatchObject({ section: 'config', algo: 'sgd', totalRows: 70 });
    const md = readFileSync(path.join(dir, name.replace(/json$/, 'md')), 'utf8');
    expect(md).toMatch(/\| config \| sgd \| 70 \| \d/);
    expect(md).toMatch(/cases: \d of 4 so far/);
  });
});
