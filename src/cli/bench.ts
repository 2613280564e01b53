// `bench`: step times and what a step costs besides its kernels, per algorithm.
//   bench                      the fixed set (docs/performance.md): the default configuration, the
//                              benchmark shape at the sizes that fit, a table-size sweep
//   bench --key value ...      one configuration (and --sweep totals of its table rows)
//   bench --url '<lab link>'   the configuration of a shared link (flags on top)
// Results go to the terminal, to JSON and Markdown under bench-results/ (--out), rewritten after
// every case, and end with a lab link carrying the configuration and its measured stage times.
import { execFileSync } from 'node:child_process';
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
import { labLinkBase } from '../config/lab-url';
import { benchAudit, benchAuditLine, benchAuditWanted } from './bench-audit';
import { decodeState } from '../config/url';
import { ALGORITHMS, algorithm } from '../algorithms';
import {
  Trainer,
  denseTableState,
  estimateMemory,
  benchLoop,
  copyBandwidth,
  userMessage,
  type BenchCase,
  type BenchOutcome,
  type DeviceInfo,
} from '../engine';
import {
  accountingLine,
  accountingNote,
  checkOutDir,
  rowLine,
  saveReport,
  type Accounting,
  type AccountingResult,
  type BenchRow,
  type Report,
  type Section,
} from './bench-report';

export type { BenchRow } from './bench-report';

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

/** Flags of the fixed set alone (its benchmark shape); every other bench flag works in all modes. */
export const SET_FLAGS = ['shape-rows', 'shape-steps', 'shape-batch'];
/** bench's own flags besides the configuration keys (--steps is a key: the set's default and sweep steps). */
export const BENCH_FLAGS = ['algos', 'sweep', 'shard-rows', 'out', 'lab-url', 'url', 'audit', ...SET_FLAGS];

const isSoftware = (info: DeviceInfo & { adapterNote?: string }) =>
  !!info.adapterNote ||
  /swiftshader|llvmpipe|lavapipe|software/i.test(`${info.vendor} ${info.architecture} ${info.description}`);

/** The link's configuration: everything after its '#', as the lab reads it. */
export function configFromLink(link: string): Config {
  const hash = link.indexOf('#');
  // a lab link carries its configuration after '#': without one there is nothing to run, and
  // benchmarking the defaults instead would pass for the link's numbers
  if (hash < 0 || link.slice(hash + 1).trim() === '')
    throw new ConfigError(
      'url',
      "the link has no configuration after a '#': copy the lab's whole address (http://…/#v=1&…)",
    );
  const { state, issues } = decodeState(link.slice(hash + 1));
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

const camel = (k: string) => k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export interface BenchPlan {
  mode: 'set' | 'config' | 'url';
  config: Config;
  rest: Flags;
  algos: Algo[];
  /** what bench changed of what it was given, said before the runs (a link's memory limit) */
  notes: string[];
  /** the sections and their cases, once the device says whether it is a CPU implementation */
  sections(software: boolean): Section[];
}

/**
 * What a bench runs, from its flags alone (no device): the mode, the configuration, the checked
 * flags. Every flag is checked here, before the first run.
 */
export function planBench(flags: Flags, configFromFlags: ConfigFromFlags): BenchPlan {
  // medians skip the first 2 steps of every run (shader compilation, first uploads); no other warm-up is measured
  if (flags.warmup !== undefined)
    throw new ConfigError(
      'warmup',
      'is not supported: bench medians always skip the first 2 steps of each run; set --steps for more samples',
    );
  const configKeys = Object.keys(flags).filter(
    (k) => (CONFIG_KEYS as string[]).includes(camel(k)) && camel(k) !== 'steps',
  );
  const link = typeof flags.url === 'string' ? flags.url : flags.url !== undefined ? '' : undefined;
  if (link === '') throw new ConfigError('url', 'needs a lab link (the text of its address)');
  const notes: string[] = [];
  let base = link !== undefined ? configFromLink(link) : undefined;
  // a link may not raise the memory limit on its own (the lab's rule): asking the device for
  // more than it has can lose it. --memory-limit given here is the user's word and applies on top.
  if (
    base &&
    base.memoryLimit > DEFAULT_CONFIG.memoryLimit &&
    !Object.keys(flags).some((k) => camel(k) === 'memoryLimit')
  ) {
    notes.push(
      `the link asks for memoryLimit ${base.memoryLimit} GiB; bench keeps ${DEFAULT_CONFIG.memoryLimit} GiB (WebGPU cannot tell how much memory this GPU has): give --memory-limit ${base.memoryLimit} to allow it`,
    );
    base = { ...base, memoryLimit: DEFAULT_CONFIG.memoryLimit };
  }
  const mode = base ? 'url' : !configKeys.length && flags.config === undefined ? 'set' : 'config';
  const { config, rest } = configFromFlags(
    base ? flags : { steps: '40', evalEvery: '0', evalSize: '256', ...flags },
    BENCH_FLAGS,
    base,
  );
  delete rest.url;
  const algos = (typeof rest.algos === 'string' ? rest.algos.split(',') : [...ALGOS]) as Algo[];
  for (const a of algos) if (!ALGOS.includes(a)) throw new ConfigError('algos', `unknown algorithm ${a}`);
  const setOnly = SET_FLAGS.filter((k) => rest[k] !== undefined);
  if (mode !== 'set' && setOnly.length) {
    const why = base
      ? '--url'
      : [...configKeys.map((k) => `--${k}`), ...(flags.config !== undefined ? ['--config'] : [])].join(', ');
    throw new ConfigError(
      setOnly[0],
      `--${setOnly.join(', --')} sizes the fixed set's benchmark shape, which runs when bench has no configuration keys; this bench runs one configuration (${why}): drop one or the other`,
    );
  }
  // the set's sizes are checked now; their defaults wait for the device
  const given = {
    shapeRows: list(rest['shape-rows'], 'shape-rows', []),
    shapeSteps: count(rest['shape-steps'], 'shape-steps', 0, 1),
    shapeBatch: count(rest['shape-batch'], 'shape-batch', BENCH_SHAPE.batch!, 1),
    sweep: list(rest.sweep, 'sweep', []),
  };
  const sections = (software: boolean): Section[] => {
    const make = (name: string, c: Config, totals: number[], tablesOf: (total: number) => number[], as = algos) => {
      const T = c.tables.length;
      const cases: BenchCase[] = [];
      for (const total of totals) {
        if (!Number.isFinite(total) || total < T)
          throw new ConfigError('sweep', `bad total row count ${total}: at least one row per table (${T})`);
        for (const algo of as) cases.push({ algo, totalRows: total, config: { ...c, tables: tablesOf(total), algo } });
      }
      return { name, config: c, cases };
    };
    const even = (T: number) => (total: number) => Array.from({ length: T }, () => Math.round(total / T));
    if (mode !== 'set') {
      const name = mode === 'url' ? 'link' : 'config';
      // without --sweep the tables run as given (unequal ones too); a sweep spreads each total evenly
      if (!given.sweep.length)
        return [make(name, config, [config.tables.reduce((a, b) => a + b, 0)], () => config.tables.slice())];
      return [make(name, config, given.sweep, even(config.tables.length))];
    }
    const d = setDefaults(software);
    const steps = flags.steps === undefined ? d.steps : config.steps;
    const dflt = makeConfig({ ...DEFAULT_CONFIG, steps, evalEvery: 0, evalSize: 256 });
    // the memory limit of the shape is the device's to refuse (CapacityError), not the lab's 4 GiB default
    const shape = makeConfig({
      ...DEFAULT_CONFIG,
      ...BENCH_SHAPE,
      batch: given.shapeBatch,
      tables: shapeTables(1024),
      steps: given.shapeSteps || d.shapeSteps,
      memoryLimit: 1024,
    });
    const R = given.shapeRows.length ? given.shapeRows : d.shapeRows;
    return [
      make('default', dflt, [dflt.tables.reduce((a, b) => a + b, 0)], () => dflt.tables.slice()),
      make(
        'shape',
        shape,
        R.map((r) => 8 * r),
        (total) => shapeTables(total / 8),
        rest.algos !== undefined ? algos : d.shapeAlgos,
      ),
      make('sweep', dflt, given.sweep.length ? given.sweep : d.sweep, even(dflt.tables.length)),
    ];
  };
  return { mode, config, rest, algos, notes, sections };
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

/** A case's row from its outcome, while its trainer is alive. */
async function rowOf(section: string, r: BenchOutcome, device: GPUDevice): Promise<BenchRow> {
  const { algo, totalRows } = r.case;
  if ('skipped' in r) return { section, algo, totalRows, tables: r.case.config.tables, error: r.skipped };
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
  return row;
}

/** The accountant's figure, or why it failed (a failure loses no measurement). */
function accountingOf(accounting: (c: Config) => Accounting, c: Config): AccountingResult {
  try {
    const a = accounting(c);
    return { ...a, note: accountingNote(a, c.sigma) };
  } catch (e) {
    return { error: userMessage((e as Error).message) };
  }
}

/**
 * Runs one case and adds its row to `rows` (or the row of its failure: any failure besides a
 * skip, a lost device or an allocation the driver refused, fails this case alone). In the fixed
 * set, once a size is too big for an algorithm (`tooBigAt`), its larger sizes are skipped untried.
 */
async function runCase(
  { s, c }: { s: Section; c: BenchCase },
  rows: BenchRow[],
  x: { device: GPUDevice; shardRows?: number; mode: BenchPlan['mode']; tooBigAt: Map<Algo, number> },
): Promise<void> {
  const { device, shardRows, tooBigAt } = x;
  const before = rows.length;
  try {
    await benchLoop([c], {
      create: (cfg) => Trainer.create(device, makeConfig({ ...cfg }), { shardRows }),
      steps: Infinity,
      logEvery: 64,
      precheck: (bc) =>
        x.mode === 'set' && bc.totalRows >= (tooBigAt.get(bc.algo) ?? Infinity)
          ? { reason: 'too big for this device', tooBig: true }
          : undefined,
      async onResult(r) {
        if ('skipped' in r && r.tooBig) tooBigAt.set(c.algo, Math.min(c.totalRows, tooBigAt.get(c.algo) ?? Infinity));
        rows.push(await rowOf(s.name, r, device));
      },
    });
  } catch (e) {
    rows.length = before;
    const error = userMessage((e as Error).message);
    rows.push({ section: s.name, algo: c.algo, totalRows: c.totalRows, tables: c.config.tables, error, failed: true });
  }
}

export async function benchCommand(
  flags: Flags,
  deps: {
    configFromFlags: ConfigFromFlags;
    openDevice: OpenDevice;
    shardRows: (rest: Flags) => number | undefined;
    /** the accountant's CPU cost at this configuration, printed and kept in the JSON */
    accounting: (c: Config) => Accounting;
  },
): Promise<void> {
  const plan = planBench(flags, deps.configFromFlags);
  const { config, rest, mode } = plan;
  const json = !!rest.json;
  const shardRows = deps.shardRows(rest);
  const labUrl = typeof rest['lab-url'] === 'string' ? rest['lab-url'] : process.env.LAB_URL;
  const labBase = labLinkBase(labUrl, 'http://localhost:5173/'); // checked before the device opens
  const outDir = typeof rest.out === 'string' ? rest.out : 'bench-results';
  checkOutDir(outDir);
  const wantAudit = benchAuditWanted(rest.audit, mode);
  for (const n of plan.notes) console.error(`note: ${n}`);

  const { device, info } = await deps.openDevice(json);
  const software = isSoftware(info);
  const sections = plan.sections(software);
  const all = sections.flatMap((s) => s.cases.map((c) => ({ s, c })));
  const date = new Date().toISOString();
  const commit = gitCommit();
  const device_ = `${info.vendor} ${info.architecture} ${info.description}`.trim();
  const timing = device.features.has('timestamp-query') ? 'gpu-timestamp' : 'cpu';
  if (!json) {
    console.log(`device: ${device_}${software ? ' (software: no GPU)' : ''}; timing: ${timing}`);
    console.log(
      `${mode === 'set' ? 'the fixed set' : 'one configuration'}: ${all.length} runs; medians after 2 warm-up steps`,
    );
  }
  // the accountant's CPU cost first: it needs no GPU, and a run cut off later keeps it too
  const accounting = accountingOf(deps.accounting, config);
  const stamp = date.slice(0, 19).replace(/[:T]/g, '-');
  const files = { json: path.join(outDir, `bench-${stamp}.json`), markdown: path.join(outDir, `bench-${stamp}.md`) };
  const rows: BenchRow[] = [];
  const { notes } = plan;
  const cases = all.length;
  const report: Report = {
    mode,
    config,
    notes,
    sections,
    cases,
    date,
    commit,
    software,
    info,
    labBase,
    files,
    rows,
    accounting,
    device: device_,
  };
  saveReport(report);

  const tty = process.stderr.isTTY;
  const progress = (text: string) => {
    if (json && !tty) return;
    process.stderr.write(tty ? `\r\x1b[K${text}` : `${text}\n`);
  };
  const tooBigAt = new Map<Algo, number>();
  for (const [k, { s, c }] of all.entries()) {
    progress(`[${k + 1}/${all.length}] ${s.name} ${c.algo} rows ${c.totalRows}, ${c.config.steps} steps ...`);
    await runCase({ s, c }, rows, { device, shardRows, mode, tooBigAt });
    // on disk before it is shown: a run cut off after this line keeps this case
    saveReport(report);
    if (tty) process.stderr.write('\r\x1b[K');
    if (!json) console.log(rowLine(rows[rows.length - 1]));
  }
  // the fixed set ends with the power audit's line (src/cli/bench-audit.ts)
  const audit = wantAudit ? await benchAudit(device, config, progress) : undefined;
  progress(`done: ${all.length} runs`);
  if (tty) process.stderr.write('\n');
  device.destroy();
  const out = saveReport(report);
  if (json) console.log(JSON.stringify(audit ? { ...out, audit } : out));
  else {
    if (audit) console.log(benchAuditLine(audit));
    console.log(accountingLine(accounting));
    console.log(`wrote ${files.json} and ${files.markdown}`);
    for (const l of out.links) console.log(`lab link (${l.section}): ${l.url}`);
  }
  const ran = rows.filter((r) => !r.error).length;
  if (ran === 0)
    throw new Error(
      `no case ran: all ${rows.length} were skipped or failed (each says why above and in ${files.json})`,
    );
}
