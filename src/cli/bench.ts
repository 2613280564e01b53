// `bench`: step times and what a step costs besides its kernels, per algorithm.
//   bench                      the fixed set (docs/performance.md): the default configuration, the
//                              benchmark shape at the sizes that fit, a table-size sweep
//   bench --key value ...      one configuration (and --sweep totals of its table rows)
//   bench --url '<lab link>'   the configuration of a shared link (flags on top)
// Results go to the terminal, to JSON and Markdown under bench-results/ (--out), and end with a
// lab link carrying the configuration and its measured stage times.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  ALGOS,
  CONFIG_KEYS,
  ConfigError,
  DEFAULT_CONFIG,
  makeConfig,
  parseDecimal,
  type Algo,
  type Config,
} from '../config/config';
import { decodeState, encodeState, type SharedResults } from '../config/url';
import { ALGORITHMS, algorithm } from '../algorithms';
import {
  Trainer,
  denseTableState,
  estimateMemory,
  STAGES,
  benchLoop,
  copyBandwidth,
  type BenchCase,
  type DeviceInfo,
  type RunSummary,
} from '../engine';

type Flags = Record<string, string | boolean>;
type ConfigFromFlags = (flags: Flags, extra: string[], base?: Config) => { config: Config; rest: Flags };
type OpenDevice = (quiet: boolean) => Promise<{ device: GPUDevice; info: DeviceInfo & { adapterNote?: string } }>;

/** The benchmark shape of issue 10 (rows per table R aside): 8 tables, dim 64, pooling 20, batch 2048. */
export const BENCH_SHAPE: Partial<Config> = {
  dim: 64,
  pooling: 20,
  batch: 2048,
  dense: 13,
  bottom: [256],
  top: [256],
  zipf: 1.05,
  datasetSize: 32768,
  evalSize: 256,
  evalEvery: 0,
};
export const shapeTables = (R: number) => new Array<number>(8).fill(R);

/** The set's sizes: a real GPU runs the issue's sizes; a CPU implementation (SwiftShader) small ones. */
export function setDefaults(software: boolean) {
  return software
    ? // a step of the shape takes 25 to 130 s there (2 cores): one step, three algorithms (the
      // counts are exact from one step; the times are a rough look)
      {
        steps: 12,
        shapeRows: [1024],
        shapeSteps: 1,
        shapeAlgos: ALGORITHMS.filter((a) => !a.exactOf).map((a) => a.name), // an exact mode costs as its lazy one
        sweep: [1e4, 1e5],
      }
    : {
        steps: 40,
        shapeRows: [2 ** 16, 2 ** 19, 2 ** 21, 2 ** 23],
        shapeSteps: 30,
        shapeAlgos: [...ALGOS],
        sweep: [1e4, 1e5, 1e6, 1e7],
      };
}

const isSoftware = (info: DeviceInfo & { adapterNote?: string }) =>
  !!info.adapterNote ||
  /swiftshader|llvmpipe|lavapipe|software/i.test(`${info.vendor} ${info.architecture} ${info.description}`);

/** The link's configuration: everything after '#' (or the whole text), as the lab reads it. */
export function configFromLink(link: string): Config {
  const frag = link.includes('#') ? link.slice(link.indexOf('#') + 1) : link;
  const { state, issues } = decodeState(frag);
  if (issues.length)
    throw new ConfigError(
      'url',
      `the link does not decode cleanly: ${issues.map((i) => `${i.key}: ${i.message}`).join('; ')}`,
    );
  return state.config;
}

function list(v: string | boolean | undefined, flag: string, fallback: number[]): number[] {
  if (v === undefined) return fallback;
  const xs = typeof v === 'string' ? v.split(',').map(parseDecimal) : [NaN];
  if (xs.some((x) => !Number.isInteger(x) || x < 1))
    throw new ConfigError(flag, `needs whole numbers >= 1, comma-separated, got ${String(v)}`);
  return xs;
}

function count(v: string | boolean | undefined, flag: string, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  const n = typeof v === 'string' ? parseDecimal(v) : NaN;
  if (!Number.isInteger(n) || n < min) throw new ConfigError(flag, `needs a whole number >= ${min}, got ${String(v)}`);
  return n;
}

interface Section {
  name: string;
  /** the configuration its link carries (tables as run when there is one size) */
  config: Config;
  cases: BenchCase[];
}

export interface BenchRow {
  section: string;
  algo: Algo;
  totalRows: number;
  tables?: number[];
  error?: string;
  shards?: number[];
  timing?: RunSummary['timing'];
  steps?: number;
  stepMedianMs?: number;
  stepP10Ms?: number;
  stepP90Ms?: number;
  stageMedianMs?: RunSummary['stageMedianMs'];
  perStep?: RunSummary['perStep'];
  /** a steady-state step's dispatches per stage (perStep.dispatches is the mean over the timed
   * steps: LazyDP's first step also sorts its batch) */
  dispatchesByStage?: RunSummary['stageMedianMs'];
  wallMsPerStep?: number;
  gpuBytes?: number;
  tableBytes?: number;
  densePassGBps?: number;
  copyGBps?: number;
  densePassOfCopy?: number;
}

function gitCommit(): string | undefined {
  try {
    const opts = { encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'ignore'] as ['ignore', 'pipe', 'ignore'] };
    const head = execFileSync('git', ['rev-parse', 'HEAD'], opts).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], opts).trim() !== '';
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return undefined; // not a git checkout (a packed copy on a lent machine)
  }
}

const f = (x: number | undefined, d = 3) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
const kib = (b: number | undefined) => (b === undefined ? '-' : (b / 1024).toFixed(1));

/** Dispatches of a step in steady state (LazyDP's first step also sorts its batch). */
function steadyDispatches(r: BenchRow): number {
  const by = r.dispatchesByStage;
  return by ? STAGES.reduce((a, st) => a + by[st], 0) : r.perStep!.dispatches;
}

function rowLine(r: BenchRow): string {
  const head = `${r.section.padEnd(8)} ${r.algo.padEnd(13)} rows ${r.totalRows.toExponential(1)}`;
  if (r.error) return `${head}: ${r.error}`;
  const p = r.perStep!;
  const steady = steadyDispatches(r);
  const mean = Math.abs(steady - p.dispatches) > 0.5 ? ` (mean ${f(p.dispatches, 0)} over ${r.steps} steps)` : '';
  return (
    `${head}  step ${f(r.stepMedianMs)} ms (p10-p90 ${f(r.stepP10Ms)}-${f(r.stepP90Ms)})  ` +
    `dispatches ${f(steady, 0)}${mean}  upload ${kib(p.uploadBytes)} KiB${p.batchOnGpu ? '' : ' (batch assembled on the CPU)'}  ` +
    `cpu ms sample ${f(p.cpuMs.sampling)} assemble ${f(p.cpuMs.assembly)} encode ${f(p.cpuMs.encoding)}` +
    (r.densePassOfCopy !== undefined
      ? `  dense pass ${f(r.densePassGBps, 2)} GB/s = ${f(r.densePassOfCopy * 100, 0)}% of copy`
      : '') +
    (r.shards?.some((n) => n > 1) ? `  buffers/table ${r.shards.join(',')}` : '') +
    `\n${''.padEnd(9)}stage medians ms: ${STAGES.map((s) => `${s} ${f(r.stageMedianMs![s])}`).join('  ')}`
  );
}

function markdown(
  meta: { device: string; date: string; commit?: string; software: boolean },
  rows: BenchRow[],
  links: { section: string; url: string }[],
): string {
  const out = [
    `# Benchmark results`,
    '',
    `- device: ${meta.device}${meta.software ? ' (a CPU implementation of Vulkan: no GPU)' : ''}`,
    `- date: ${meta.date}`,
    `- commit: ${meta.commit ?? 'unknown (not a git checkout)'}`,
    '',
    `| section | algo | total rows | step ms median | p10-p90 | dispatches/step | upload KiB/step | CPU ms sample / assemble / encode | dense pass / copy | ${STAGES.join(' | ')} |`,
    `|${'---|'.repeat(9 + STAGES.length)}`,
  ];
  for (const r of rows) {
    if (r.error) {
      out.push(
        `| ${r.section} | ${r.algo} | ${r.totalRows} | skipped: ${r.error.replace(/\|/g, '/')} |${' |'.repeat(5 + STAGES.length)}`,
      );
      continue;
    }
    const p = r.perStep!;
    out.push(
      `| ${r.section} | ${r.algo} | ${r.totalRows} | ${f(r.stepMedianMs)} | ${f(r.stepP10Ms)}-${f(r.stepP90Ms)} | ${f(steadyDispatches(r), 0)} | ${kib(p.uploadBytes)}${p.batchOnGpu ? '' : ' (CPU batch)'} | ` +
        `${f(p.cpuMs.sampling)} / ${f(p.cpuMs.assembly)} / ${f(p.cpuMs.encoding)} | ` +
        `${r.densePassOfCopy !== undefined ? `${f(r.densePassOfCopy * 100, 0)}% (${f(r.densePassGBps, 2)} of ${f(r.copyGBps, 2)} GB/s)` : '-'} | ` +
        `${STAGES.map((s) => f(r.stageMedianMs![s])).join(' | ')} |`,
    );
  }
  out.push('', '## Lab links (configuration and results)', '', ...links.map((l) => `- ${l.section}: <${l.url}>`), '');
  return out.join('\n');
}

/** The lab link of a section: its configuration and the per-stage medians of each algorithm that ran. */
function sectionLink(base: string, s: Section, rows: BenchRow[], device: string): string {
  const ran = rows.filter((r) => r.section === s.name && !r.error && r.totalRows === s.cases[0]?.totalRows);
  const results: SharedResults = { device, timing: ran[0]?.timing ?? 'cpu', algos: {} };
  for (const r of ran) results.algos[r.algo] = { stageMs: r.stageMedianMs!, stepMs: r.stepMedianMs! };
  const config = s.cases[0] ? { ...s.config, tables: s.cases[0].config.tables } : s.config;
  return `${base}#${encodeState({ config, results: ran.length ? results : undefined })}`;
}

export async function benchCommand(
  flags: Flags,
  deps: {
    configFromFlags: ConfigFromFlags;
    openDevice: OpenDevice;
    shardRows: (rest: Flags) => number | undefined;
    /** the accountant's CPU cost at this configuration, printed and kept in the JSON */
    accounting: (c: Config) => {
      accountant: string;
      q: number;
      sigma: number;
      steps: number;
      delta: number;
      epsilon: number;
      ms: number;
    };
  },
): Promise<void> {
  // medians skip the first 2 steps of every run (shader compilation, first uploads); no other warm-up is measured
  if (flags.warmup !== undefined)
    throw new ConfigError(
      'warmup',
      'is not supported: bench medians always skip the first 2 steps of each run; set --steps for more samples',
    );
  const camel = (k: string) => k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const configKeys = Object.keys(flags).filter(
    (k) => (CONFIG_KEYS as string[]).includes(camel(k)) && camel(k) !== 'steps',
  );
  const link = typeof flags.url === 'string' ? flags.url : flags.url !== undefined ? '' : undefined;
  if (link === '') throw new ConfigError('url', 'needs a lab link (the text of its address)');
  const base = link !== undefined ? configFromLink(link) : undefined;
  const setMode = !base && !configKeys.length && flags.config === undefined && flags.sweep === undefined;
  const extra = ['algos', 'sweep', 'shard-rows', 'out', 'lab-url', 'url', 'shape-rows', 'shape-steps'];
  const { config, rest } = deps.configFromFlags(
    base ? flags : { steps: '40', evalEvery: '0', evalSize: '256', ...flags },
    extra,
    base,
  );
  delete rest.url;
  const json = !!rest.json;
  const shardRows = deps.shardRows(rest);
  const algos = (typeof rest.algos === 'string' ? rest.algos.split(',') : [...ALGOS]) as Algo[];
  for (const a of algos) if (!ALGOS.includes(a)) throw new ConfigError('algos', `unknown algorithm ${a}`);
  if (!setMode && (rest['shape-rows'] !== undefined || rest['shape-steps'] !== undefined))
    throw new ConfigError('shape-rows', 'belongs to the fixed set (bench without configuration keys)');
  const labBase =
    typeof rest['lab-url'] === 'string' ? rest['lab-url'] : (process.env.LAB_URL ?? 'http://localhost:5173/');
  const outDir = typeof rest.out === 'string' ? rest.out : 'bench-results';

  const { device, info } = await deps.openDevice(json);
  const software = isSoftware(info);
  const sections: Section[] = [];
  const casesOf = (
    name: string,
    c: Config,
    totals: number[],
    T: number,
    tablesOf: (total: number) => number[],
    as = algos,
  ) => {
    const cases: BenchCase[] = [];
    for (const total of totals) {
      if (!Number.isFinite(total) || total < T) throw new ConfigError('sweep', `bad total row count ${total}`);
      for (const algo of as) cases.push({ algo, totalRows: total, config: { ...c, tables: tablesOf(total), algo } });
    }
    sections.push({ name, config: c, cases });
  };
  const even = (T: number) => (total: number) => Array.from({ length: T }, () => Math.round(total / T));
  if (setMode) {
    const d = setDefaults(software);
    const steps = flags.steps === undefined ? d.steps : config.steps;
    const dflt = makeConfig({ ...DEFAULT_CONFIG, steps, evalEvery: 0, evalSize: 256 });
    casesOf('default', dflt, [dflt.tables.reduce((a, b) => a + b, 0)], dflt.tables.length, () => dflt.tables.slice());
    const shapeSteps = count(rest['shape-steps'], 'shape-steps', d.shapeSteps, 1);
    // the memory limit of the shape is the device's to refuse (CapacityError), not the lab's 4 GiB default
    const shape = makeConfig({
      ...DEFAULT_CONFIG,
      ...BENCH_SHAPE,
      tables: shapeTables(1024),
      steps: shapeSteps,
      memoryLimit: 1024,
    });
    const R = list(rest['shape-rows'], 'shape-rows', d.shapeRows);
    casesOf(
      'shape',
      shape,
      R.map((r) => 8 * r),
      8,
      (total) => shapeTables(total / 8),
      rest.algos !== undefined ? algos : d.shapeAlgos,
    );
    casesOf('sweep', dflt, list(rest.sweep, 'sweep', d.sweep), dflt.tables.length, even(dflt.tables.length));
  } else {
    const sweep = rest.sweep !== undefined ? list(rest.sweep, 'sweep', []) : [config.tables.reduce((a, b) => a + b, 0)];
    casesOf(base ? 'link' : 'config', config, sweep, config.tables.length, even(config.tables.length));
  }

  const all = sections.flatMap((s) => s.cases.map((c) => ({ s, c })));
  const sectionOf = new Map(all.map(({ s, c }) => [c, s.name]));
  const date = new Date().toISOString();
  const commit = gitCommit();
  const device_ = `${info.vendor} ${info.architecture} ${info.description}`.trim();
  if (!json) {
    console.log(
      `device: ${device_}${software ? ' (software: no GPU)' : ''}; timing: ${device.features.has('timestamp-query') ? 'gpu-timestamp' : 'cpu'}`,
    );
    console.log(
      `${setMode ? 'the fixed set' : 'one configuration'}: ${all.length} runs; medians after 2 warm-up steps`,
    );
  }
  const rows: BenchRow[] = [];
  const tty = process.stderr.isTTY;
  let done = 0;
  const progress = (text: string) => {
    if (json && !tty) return;
    process.stderr.write(tty ? `\r\x1b[K${text}` : `${text}\n`);
  };
  await benchLoop(
    all.map((x) => x.c),
    {
      create: (c) => {
        const cs = all[done]?.c;
        progress(
          `[${done + 1}/${all.length}] ${sectionOf.get(cs) ?? ''} ${c.algo} rows ${c.tables.reduce((a, b) => a + b, 0)}, ${c.steps} steps ...`,
        );
        return Trainer.create(device, makeConfig({ ...c }), { shardRows });
      },
      steps: Infinity,
      logEvery: 64,
      skipLarger: setMode,
      async onResult(r) {
        const section = sectionOf.get(r.case) ?? '';
        done++;
        const { algo, totalRows } = r.case;
        if ('skipped' in r) {
          rows.push({ section, algo, totalRows, tables: r.case.config.tables, error: r.skipped });
        } else {
          const { trainer: t, wallMs } = r;
          const c = t.config;
          const s = t.summary();
          const tableBytes = c.tables.reduce((a, x) => a + x, 0) * c.dim * 4;
          const row: BenchRow = {
            section,
            algo,
            totalRows,
            tables: c.tables,
            shards: t.shardLayout.map((x) => x.length),
            timing: s.timing,
            steps: s.steps,
            stepMedianMs: s.stepMedianMs,
            stepP10Ms: s.stepP10Ms,
            stepP90Ms: s.stepP90Ms,
            stageMedianMs: s.stageMedianMs,
            perStep: s.perStep,
            dispatchesByStage: t.graphDispatches,
            wallMsPerStep: wallMs / Math.max(1, s.steps),
            gpuBytes: estimateMemory(c).totalBytes,
            tableBytes,
          };
          // eager DP-SGD reads and writes every table value each step (the traffic LazyDP removes):
          // its noise + update time against those bytes is the bandwidth the dense pass reached,
          // set against the copy kernel's on the same table buffers, right after, in this process
          if (algorithm(algo).tableNoise === 'eager' && denseTableState(c) < 0) {
            row.densePassGBps = (2 * tableBytes) / ((s.stageMedianMs.noise + s.stageMedianMs.update) * 1e6);
            const copy = await copyBandwidth(device, t.tableBuffers);
            row.copyGBps = copy.GBps;
            row.densePassOfCopy = copy.GBps > 0 ? row.densePassGBps / copy.GBps : undefined;
          }
          rows.push(row);
        }
        if (tty) process.stderr.write('\r\x1b[K');
        if (!json) console.log(rowLine(rows[rows.length - 1]));
      },
    },
  );
  progress(`done: ${all.length} runs`);
  if (tty) process.stderr.write('\n');
  const a = deps.accounting(config);
  if (!json)
    console.log(
      `accountant ${a.accountant}: epsilon ${a.epsilon.toFixed(4)} for ${a.steps} steps (q ${a.q}, sigma ${a.sigma}, delta ${a.delta}) in ${a.ms.toFixed(0)} ms on the CPU`,
    );
  const links = sections
    .filter((s) => s.name !== 'sweep')
    .map((s) => ({ section: s.name, url: sectionLink(labBase, s, rows, device_) }));
  const meta = { device: device_, date, commit, software };
  const stamp = date.slice(0, 19).replace(/[:T]/g, '-');
  mkdirSync(outDir, { recursive: true });
  const files = { json: path.join(outDir, `bench-${stamp}.json`), markdown: path.join(outDir, `bench-${stamp}.md`) };
  const out = {
    command: 'bench',
    mode: setMode ? 'set' : base ? 'url' : 'config',
    date,
    commit,
    software,
    device: info,
    config: { ...config, tables: undefined },
    sections: sections.map((s) => ({ name: s.name, config: s.config })),
    results: rows,
    links,
    files,
    accounting: a,
  };
  writeFileSync(files.json, JSON.stringify(out, null, 1) + '\n');
  writeFileSync(files.markdown, markdown(meta, rows, links));
  if (json) console.log(JSON.stringify(out));
  else {
    console.log(`wrote ${files.json} and ${files.markdown}`);
    for (const l of links) console.log(`lab link (${l.section}): ${l.url}`);
  }
  device.destroy();
}
