// What `bench` writes (src/cli/bench.ts): a line per case on the terminal, the JSON and Markdown
// files (rewritten after every case, so a run cut off by a time limit keeps what it measured), the
// lab link of a section, the accountant's cost line, and the --out folder check made before the
// first run. Split from bench.ts.
import { closeSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type Algo, type Config } from '../config/config';
import { encodeState, type SharedResults } from '../config/url';
import { STAGES, type BenchCase, type DeviceInfo, type RunSummary } from '../engine';

export interface Section {
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
  /** why the case has no numbers: skipped (too big, a setting the algorithm refuses) or failed */
  error?: string;
  /** the case started and broke (an error other than a skip); the other cases still ran */
  failed?: boolean;
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

/** The accountant's CPU cost: epsilon of a fixed run length, a timing figure (not this run's epsilon). */
export interface Accounting {
  accountant: string;
  q: number;
  sigma: number;
  steps: number;
  delta: number;
  epsilon: number;
  ms: number;
}
export type AccountingResult = (Accounting & { note: string }) | { error: string };

const f = (x: number | undefined, d = 3) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
const kib = (b: number | undefined) => (b === undefined ? '-' : (b / 1024).toFixed(1));

/** Dispatches of a step in steady state (LazyDP's first step also sorts its batch). */
function steadyDispatches(r: BenchRow): number {
  const by = r.dispatchesByStage;
  return by ? STAGES.reduce((a, st) => a + by[st], 0) : r.perStep!.dispatches;
}

const errorText = (r: BenchRow) => `${r.failed ? 'failed' : 'skipped'}: ${r.error}`;

export function rowLine(r: BenchRow): string {
  const head = `${r.section.padEnd(8)} ${r.algo.padEnd(13)} rows ${r.totalRows.toExponential(1)}`;
  if (r.error) return `${head}: ${errorText(r)}`;
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

/** The accountant's line: what the figure is (its steps and sigma are not necessarily the run's). */
export function accountingNote(a: Accounting, configSigma: number): string {
  const base = `a timing figure, not this run's epsilon: epsilon of ${a.steps} steps at q ${a.q}, sigma ${a.sigma}, delta ${a.delta}`;
  return a.sigma === configSigma
    ? base
    : `${base} (sigma ${a.sigma} stands in for this configuration's sigma ${configSigma}, which gives no privacy: epsilon is infinite)`;
}

export function accountingLine(a: AccountingResult): string {
  if ('error' in a) return `accountant: failed: ${a.error}`;
  return `accountant ${a.accountant}: ${a.ms.toFixed(0)} ms on the CPU for ${a.note}: ${a.epsilon.toFixed(4)}`;
}

export function markdown(
  meta: { device: string; date: string; commit?: string; software: boolean; progress: string },
  rows: BenchRow[],
  links: { section: string; url: string }[],
  accounting: AccountingResult,
): string {
  const out = [
    `# Benchmark results`,
    '',
    `- device: ${meta.device}${meta.software ? ' (a CPU implementation of Vulkan: no GPU)' : ''}`,
    `- date: ${meta.date}`,
    `- commit: ${meta.commit ?? 'unknown (not a git checkout)'}`,
    `- cases: ${meta.progress}`,
    `- ${accountingLine(accounting)}`,
    '',
    `| section | algo | total rows | step ms median | p10-p90 | dispatches/step | upload KiB/step | CPU ms sample / assemble / encode | dense pass / copy | ${STAGES.join(' | ')} |`,
    `|${'---|'.repeat(9 + STAGES.length)}`,
  ];
  for (const r of rows) {
    if (r.error) {
      out.push(
        `| ${r.section} | ${r.algo} | ${r.totalRows} | ${errorText(r).replace(/\|/g, '/')} |${' |'.repeat(5 + STAGES.length)}`,
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
export function sectionLink(base: string, s: Section, rows: BenchRow[], device: string): string {
  const ran = rows.filter((r) => r.section === s.name && !r.error && r.totalRows === s.cases[0]?.totalRows);
  const results: SharedResults = { device, timing: ran[0]?.timing ?? 'cpu', algos: {} };
  for (const r of ran) results.algos[r.algo] = { stageMs: r.stageMedianMs!, stepMs: r.stepMedianMs! };
  const config = s.cases[0] ? { ...s.config, tables: s.cases[0].config.tables } : s.config;
  return `${base}#${encodeState({ config, results: ran.length ? results : undefined })}`;
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/**
 * --out: a folder bench can write in (made if missing), checked before the first run: an hour
 * of measurements must not end in "cannot write".
 */
export function checkOutDir(dir: string): void {
  let st;
  try {
    st = statSync(dir, { throwIfNoEntry: false });
  } catch (e) {
    throw new ConfigError('out', `cannot use ${dir}: ${code(e)}`);
  }
  if (st && !st.isDirectory())
    throw new ConfigError('out', `${dir} is not a folder: give a folder for the results (made if missing)`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new ConfigError('out', `cannot make the folder ${dir}: ${code(e)}`);
  }
  const probe = path.join(dir, `.bench-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (e) {
    throw new ConfigError('out', `cannot write in ${dir}: ${code(e)} (checked before the first run)`);
  }
}

/** Written beside and renamed into place: a reader (or a run cut off mid-write) never sees half a file. */
export function writeWhole(file: string, text: string): void {
  const tmp = `${file}.partial-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** What bench's JSON and Markdown files are made of (rewritten after every case). */
export interface Report {
  mode: 'set' | 'config' | 'url';
  config: Config;
  notes: string[];
  sections: Section[];
  cases: number;
  date: string;
  commit?: string;
  software: boolean;
  info: DeviceInfo;
  /** the device in words */
  device: string;
  labBase: string;
  files: { json: string; markdown: string };
  accounting: AccountingResult;
  rows: BenchRow[];
}

function reportJson(x: Report) {
  const links = x.sections
    .filter((s) => s.name !== 'sweep')
    .map((s) => ({ section: s.name, url: sectionLink(x.labBase, s, x.rows, x.device) }));
  return {
    command: 'bench',
    mode: x.mode,
    date: x.date,
    commit: x.commit,
    software: x.software,
    device: x.info,
    /** false while cases remain (the files are rewritten after every case) */
    complete: x.rows.length === x.cases,
    cases: x.cases,
    config: { ...x.config, tables: undefined },
    notes: x.notes,
    sections: x.sections.map((s) => ({ name: s.name, config: s.config })),
    results: x.rows,
    links,
    files: x.files,
    accounting: x.accounting,
  };
}

/** Writes both files as they stand; returns what the JSON holds. */
export function saveReport(x: Report) {
  const out = reportJson(x);
  const { device, date, commit, software, rows, cases } = x;
  const progress = `${rows.length} of ${cases}${out.complete ? '' : ' so far (the run was cut off or is still going)'}`;
  writeWhole(x.files.json, JSON.stringify(out, null, 1) + '\n');
  writeWhole(x.files.markdown, markdown({ device, date, commit, software, progress }, rows, out.links, x.accounting));
  return out;
}
