// `bench` (src/cli/bench.ts) on a tiny configuration: the per-step counters, the files it writes,
// the lab link it ends with (decoding to the configuration that ran, with its results), and
// `--url` running a link's configuration. Numbers are checked for consistency, never for speed.
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TINY_MODEL } from '../helpers/cli';
import { decodeState } from '../../src/config/url';
import { makeConfig } from '../../src/config/config';
import { STAGES } from '../../src/engine/types';

const root = path.resolve(__dirname, '../..');
const out = mkdtempSync(path.join(tmpdir(), 'dplab-bench-'));
const TINY = TINY_MODEL;

function bench(args: string[]) {
  const r = spawnSync('node', ['dist-cli/cli.mjs', 'bench', '--out', out, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
  });
  return {
    code: r.status,
    json: r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').pop()!) : undefined,
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
    // the link: the configuration that ran (bench shares the 70 rows as 35 + 35) and its numbers
    link = j.links[0].url;
    const { state, issues } = decodeState(link.slice(link.indexOf('#') + 1));
    expect(issues).toEqual([]);
    expect(state.config).toEqual(makeConfig({ ...j.sections[0].config, tables: [35, 35] }));
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
    expect(x.tables).toEqual([35, 35]);
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
