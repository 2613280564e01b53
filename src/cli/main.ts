// Headless CLI on Dawn (the `webgpu` package): the same engine as the lab.
//   npm run -s cli -- train [--key value ...] [--config file.json] [--json] [--export f] [--export-init f]
//   npm run -s cli -- bench [--algos sgd,dpsgd,...] [--sweep 1e4,1e5,...] [--url link] [--json]  (src/cli/bench.ts)
//   npm run -s cli -- privacy [--accountant prv|rdp] --q Q --sigma S --steps N --delta D [--orders opacus|tfp] [--json]
//   npm run -s cli -- device
import '../node/float16-shim';
import { readFileSync, openSync, readSync, fstatSync, statSync } from 'node:fs';
import {
  CONFIG_KEYS,
  ConfigError,
  DEFAULT_CONFIG,
  isPrivate,
  parseDecimal,
  parseValue,
  type Config,
} from '../config/config';
import { ALGORITHMS, algorithm } from '../algorithms';
import { getNodeAdapter } from '../node/dawn';
import {
  describeDevice,
  requestLabDevice,
  type DeviceInfo,
  Trainer,
  estimateMemory,
  fmtBytes,
  epsilonAfter,
  exportMetadata,
  writeModelParts,
  openCheckpoint,
  type Checkpoint,
  STAGES,
  type LogPoint,
  checkFiniteWeights,
  userMessage,
  type RunSummary,
} from '../engine';
import { privacyBench, privacyCommand } from './privacy';
import { computePrvEpsilon } from '../privacy/prv';
import { computeEpsilon } from '../privacy/rdp';
import {
  privacyReport,
  TRAINING_STATS_NOTE,
  epsilonInfinite,
  fmtEpsilon,
  jsonInfinity,
  noPrivacyReason,
} from '../privacy/report';
import { shuffleWarning } from '../privacy/sampling';
import { crossingsLine, expectedCrossings } from '../privacy/fest';
import { parseCriteo, DataError, CRITEO_TABLES } from '../data/criteo';
import type { LabData } from '../data/synthetic';
import { auditCommand, AUDIT_HELP } from './audit';
import { benchCommand } from './bench';
import { frontierCommand, FRONTIER_HELP } from './frontier';
import { checkExportPath, writeFileAtomic } from './export-file';
import { parseArgs, configFromFlags, readConfigPartial, shardRowsFlag, logEveryFlag, type Flags } from './args';

export { parseArgs, configFromFlags };

/** The Dawn device; a SwiftShader fallback is said on stderr, and in JSON as device.adapterNote. */
async function openDevice(quiet: boolean): Promise<{ device: GPUDevice; info: DeviceInfo & { adapterNote?: string } }> {
  const { adapter, note } = await getNodeAdapter();
  if (note && !quiet) console.error(`note: ${note}`);
  const device = await requestLabDevice(adapter);
  device.lost.then((l) => {
    if (l.reason !== 'destroyed') console.error(`GPU device lost: ${userMessage(l.message)}`);
  });
  return {
    device,
    info: note ? { ...describeDevice(adapter, device), adapterNote: note } : describeDevice(adapter, device),
  };
}

function fmt(x: number | undefined, d = 4): string {
  return x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d);
}

function stageLine(ms: Record<string, number>): string {
  return STAGES.map((s) => `${s} ${ms[s].toFixed(3)}`).join('  ');
}

/**
 * Writes the model as safetensors, streamed table by table (tables may exceed memory); after a
 * flush. Through export-file.ts: a temporary file renamed into place, so an export that fails
 * (disk full, diverged weights, a destroyed trainer) leaves no file, never a truncated one.
 */
async function writeModel(flag: string, path: string, t: Trainer, metadata: Record<string, string>): Promise<void> {
  await writeFileAtomic(flag, path, async (write) => {
    let headerDone = false;
    await writeModelParts(t, metadata, (b) => {
      // every weight is checked on its way out: NaN or infinity means the run diverged
      if (headerDone)
        checkFiniteWeights(new Float32Array(b.buffer, b.byteOffset, b.byteLength >> 2), t.config, t.stepsDone);
      headerDone = true;
      write(b);
    });
  });
}

/** The largest text file --data reads: V8's longest string (2^29 - 24 characters). */
export const MAX_DATA_BYTES = 2 ** 29 - 24;

/**
 * --data file.tsv: Criteo logs instead of the synthetic task. Tables default to 26 x 65536 rows
 * (one --tables value is used for all 26); dense = 13, pooling = 1 and datasetSize follow the file.
 */
export function loadCriteo(
  file: string,
  flags: Flags,
  base?: Config,
  progress?: (lines: number, total: number) => void,
): { partial: Record<string, string>; data: LabData } {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_DATA_BYTES)
      throw new Error(
        `it is ${fmtBytes(size)}; the CLI reads a text file of up to ${fmtBytes(MAX_DATA_BYTES)} (${MAX_DATA_BYTES} bytes, node's longest string): take the first lines, e.g. head -n 2000000 ${file} > part.tsv`,
      );
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`--data: cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  // a resumed run splits and hashes the file as its first part did, unless told otherwise
  const given =
    typeof flags.tables === 'string' ? flags.tables.split(',').map(parseDecimal) : base ? base.tables : [65536];
  const rows = given.length === 1 ? new Array(CRITEO_TABLES).fill(given[0]) : given;
  if (rows.length !== CRITEO_TABLES || rows.some((r) => !Number.isInteger(r) || r < 1))
    throw new ConfigError(
      'tables',
      `Criteo data has ${CRITEO_TABLES} categorical features: give ${CRITEO_TABLES} table sizes, or one size for all`,
    );
  // checked as the config key is ("abc", "0x10" and -5 refused under their own name), not passed on as NaN
  const evalText = flags['eval-size'] ?? flags.evalSize;
  const evalSize = evalText === undefined ? (base ?? DEFAULT_CONFIG).evalSize : parseValue('evalSize', evalText);
  let data: LabData;
  try {
    data = parseCriteo(text, rows, evalSize, progress);
  } catch (e) {
    if (e instanceof DataError) throw new Error(`--data ${file}: ${e.message}`, { cause: e });
    throw e;
  }
  return {
    partial: {
      tables: rows.join(','),
      dense: '13',
      pooling: '1',
      datasetSize: String(data.train.n),
      evalSize: String(data.eval.n),
    },
    data,
  };
}

/** --resume model.safetensors: the file read a piece at a time (tables larger than memory too). */
async function openResume(file: string): Promise<Checkpoint> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new Error(`--resume: cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  const size = fstatSync(fd).size;
  const read = (offset: number, length: number) => {
    const b = Buffer.alloc(length);
    for (let got = 0; got < length;) {
      const n = readSync(fd, b, got, length - got, offset + got);
      if (n === 0) throw new Error(`--resume: ${file} ended early`);
      got += n;
    }
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  };
  try {
    return await openCheckpoint(read, size);
  } catch (e) {
    throw new Error(`--resume ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * --data criteo.tsv: the flags with the keys the file decides (pooling, dense, datasetSize), and
 * its data set. Says which values given here (or in --config, or the resumed file) it replaces.
 */
function criteoFlags(flags: Flags, file: string, base?: Config): { flags: Flags; data: LabData } {
  const quiet = !!flags.json;
  // progress on stderr at every tenth of the file (a day of Criteo logs takes a while)
  let shown = -1;
  const progress = (lines: number, total: number) => {
    const tenth = Math.floor((10 * lines) / Math.max(1, total));
    if (quiet || tenth === shown) return;
    shown = tenth;
    console.error(`parsing ${file}: ${lines.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} lines`);
  };
  const c = loadCriteo(file, flags, base, progress);
  const given = { ...(base ?? {}), ...readConfigPartial(flags) } as Record<string, unknown>;
  const replaced = (['pooling', 'dense', 'datasetSize'] as const)
    .filter((k) => given[k] !== undefined && String(given[k]) !== c.partial[k])
    .map((k) => `${k} ${String(given[k])} -> ${c.partial[k]}`);
  if (replaced.length && !quiet)
    console.error(
      `note: --data sets ${replaced.join(', ')} (Criteo: 13 integer features, one category per table, datasetSize from the file's lines)`,
    );
  const out: Flags = { ...flags, ...c.partial };
  delete out.data;
  delete out['eval-size'];
  delete out['dataset-size'];
  return { flags: out, data: c.data };
}

/** --stop-at N: train to step N of `steps` and stop there (a checkpoint to --resume later). */
function stopAtFlag(rest: Flags, steps: number): number {
  const v = rest['stop-at'];
  const stopAt = v === undefined ? steps : typeof v === 'string' ? parseDecimal(v) : NaN;
  if (!Number.isInteger(stopAt) || stopAt < 1 || stopAt > steps)
    throw new ConfigError('stop-at', `needs a step in 1 .. steps (${steps}), got ${String(v)}`);
  return stopAt;
}

/** What the run is, before its first log line: device, model, memory plan, privacy warnings. */
function printRunHeader(t: Trainer, config: Config, info: DeviceInfo): void {
  console.log(`device: ${info.vendor} ${info.architecture} ${info.description} (timing: ${t.timing})`);
  console.log(
    `model: tables [${config.tables.join(', ')}] dim ${config.dim}, ${fmtBytes(estimateMemory(config).totalBytes)} on the GPU; algo ${config.algo}` +
      (isPrivate(config) ? `, sigma ${t.sigma.toFixed(4)}, clip ${config.clip} (${config.clipping})` : ''),
  );
  const split = t.shardLayout.map((s, i) => [i, s.length]).filter(([, n]) => n > 1);
  if (split.length)
    console.log(`tables split across buffers: ${split.map(([i, n]) => `table ${i} in ${n}`).join(', ')}`);
  // the data set lives on the GPU (a step uploads its example ids) unless the memory plan says why not
  if (t.batchNote) console.log(`memory plan: ${t.batchNote}`);
  if (t.microBatch)
    console.log(`micro-batches of ${t.microBatch} (logical batch ${config.batch}: one noisy update per step)`);
  // the step's cost that grows with the table size, before the run
  if (hasThreshold(config)) console.log(crossingsLine(config.tables, config));
  if (t.seedFixed && isPrivate(config)) console.log(`seed ${config.seed}: reproducible, not private`);
  if (isPrivate(config) && config.sampling === 'shuffle') console.log(`warning: ${shuffleWarning(config.accountant)}`);
  if (epsilonInfinite(epsilonAfter(config, t.sigma, config.steps))) console.log(`warning: ${noPrivacyReason(t.sigma)}`);
  console.log('step      loss     auc      eps     steps/s   stage ms (median)');
}

/** The run's last lines: held-out metrics, epsilon (and whether it is a guarantee), step time. */
function printRunResult(
  config: Config,
  s: RunSummary,
  privacy: ReturnType<typeof privacyReport>,
  exported: string | boolean | undefined,
): void {
  const eps =
    s.epsilon === undefined
      ? ''
      : `, epsilon ${epsilonInfinite(s.epsilon) ? fmtEpsilon(s.epsilon) : s.epsilon.toFixed(3)} at delta ${config.delta}` +
        (privacy.guaranteed ? '' : ' (NOT a guarantee: see above)') +
        ` [${config.accountant} accountant]`;
  console.log(
    `held-out AUC ${fmt(s.auc)}` +
      (s.teacherAuc !== undefined ? ` (teacher ${fmt(s.teacherAuc)})` : '') +
      `, loss ${fmt(s.evalLoss)}` +
      eps,
  );
  if (isPrivate(config)) console.log(`note: ${TRAINING_STATS_NOTE}`);
  console.log(`median step ${s.stepMedianMs.toFixed(3)} ms (${s.timing}): ${stageLine(s.stageMedianMs)}`);
  if (typeof exported === 'string') console.log(`wrote ${exported}`);
}

/**
 * An algorithm that thresholds noisy counts (DP-AdaFEST's τ, from the registry's keys): its
 * untouched rows cross at a rate that sets how a step's cost grows with the tables.
 */
const hasThreshold = (c: Config) => algorithm(c.algo).configKeys.includes('threshold');

async function train(flags: Flags): Promise<void> {
  let data: LabData | undefined;
  // --resume: the file's configuration is the base the flags change (steps, to go further)
  const ck = typeof flags.resume === 'string' ? await openResume(flags.resume) : undefined;
  // the memory limit is the caller's (default or --memory-limit), never the file's: a small file
  // must not raise it (its tensors were checked against its config and its real data already)
  const base = ck ? { ...ck.config, memoryLimit: DEFAULT_CONFIG.memoryLimit } : undefined;
  if (ck?.data === 'criteo' && typeof flags.data !== 'string')
    throw new Error(`--resume: the model was trained on a Criteo file; give it again with --data`);
  delete flags.resume;
  if (typeof flags.data === 'string') ({ flags, data } = criteoFlags(flags, flags.data, base));
  const { config, rest } = configFromFlags(
    flags,
    ['export', 'export-init', 'log-every', 'shard-rows', 'stop-at'],
    base,
  );
  const stopAt = stopAtFlag(rest, config.steps);
  const json = !!rest.json;
  const shardRows = shardRowsFlag(rest);
  const logEvery = logEveryFlag(rest);
  for (const f of ['export', 'export-init'] as const) if (typeof rest[f] === 'string') checkExportPath(f, rest[f]);
  const { device, info } = await openDevice(json);
  const t = await Trainer.create(device, config, { data, shardRows });
  if (ck) await t.loadCheckpoint(ck);
  if (stopAt <= t.stepsDone) throw new ConfigError('stop-at', `the run is already at step ${t.stepsDone}`);
  if (!json && ck)
    console.log(`resumed: ${ck.steps} steps from the file, training steps ${ck.steps + 1} to ${config.steps}`);
  if (!json && data) console.log(`data: Criteo ${data.train.n} training and ${data.eval.n} held-out examples`);
  if (typeof rest['export-init'] === 'string') {
    await writeModel('export-init', rest['export-init'], t, exportMetadata(t, info, null));
  }
  if (!json) printRunHeader(t, config, info);
  await t.run(stopAt - t.stepsDone, {
    logEvery,
    onLog: (p: LogPoint) => {
      if (!json)
        console.log(
          `${String(p.step).padEnd(8)} ${fmt(p.loss)}  ${fmt(p.auc)}  ${(epsilonInfinite(p.epsilon) ? '∞' : fmt(p.epsilon, 3)).padStart(6)}  ${p.stepsPerSec.toFixed(1).padStart(8)}   ${stageLine(p.stageMs)}`,
        );
    },
  });
  const s = t.summary();
  if (typeof rest.export === 'string') await writeModel('export', rest.export, t, exportMetadata(t, info, s));
  const privacy = privacyReport(config, { epsilon: s.epsilon, seedFixed: t.seedFixed, sigma: t.sigma });
  // an infinite epsilon is written as "Infinity", never as null
  if (json)
    console.log(
      JSON.stringify(
        {
          command: 'train',
          config: t.config,
          seedFixed: t.seedFixed,
          device: info,
          privacy,
          ...(hasThreshold(config) ? { crossings: expectedCrossings(config.tables, config) } : {}),
          summary: s,
        },
        jsonInfinity,
      ),
    );
  else printRunResult(config, s, privacy, rest.export);
  t.destroy();
  device.destroy();
}

/** The accountant's cost on the CPU: epsilon of a 20,000-step run at the bench's q and sigma (1 if 0). */
function accountingFigure(c: Config) {
  const steps = 20_000;
  const q = c.batch / c.datasetSize,
    sigma = c.sigma > 0 ? c.sigma : 1;
  const t0 = performance.now();
  const epsilon =
    c.accountant === 'prv'
      ? computePrvEpsilon({ q, sigma, steps, delta: c.delta }).epsilon
      : computeEpsilon({ q, sigma, steps, delta: c.delta }).epsilon;
  return { accountant: c.accountant, q, sigma, steps, delta: c.delta, epsilon, ms: performance.now() - t0 };
}

async function deviceCmd(flags: Flags): Promise<void> {
  const { device, info } = await openDevice(!!flags.json);
  console.log(
    flags.json
      ? JSON.stringify(info)
      : `${info.vendor} ${info.architecture} ${info.description}\nfeatures: ${info.features.join(', ')}\nlimits: ${JSON.stringify(info.limits)}`,
  );
  device.destroy();
}

const HELP = `dp-webgpu-lab CLI (Dawn)
  train    [--key value ...] [--config file.json] [--data criteo.tsv] [--json] [--export model.safetensors] [--export-init init.safetensors] [--log-every N] [--shard-rows N]
           [--stop-at N] [--resume model.safetensors]   (checkpoint: train to step N of --steps and export; resume continues it)
  bench    the fixed set (default configuration, benchmark shape, table-size sweep; docs/performance.md):
           [--algos ...] [--steps N] [--shape-rows R,...] [--shape-steps N] [--shape-batch B] [--sweep 1e4,1e5] [--out dir] [--lab-url URL] [--audit on|off] [--json]
           (the set ends with the power audit of dpsgd and lazydp at epsilon 8, one seed: --audit off leaves it out)
  bench    one configuration: [--key value ...] [--algos ${ALGORITHMS.map((a) => a.name).join(',')}] [--sweep 1e4,1e5,1e6] [--json] [--shard-rows N]
  bench    --url '<lab link>' [--key value ...]   (the configuration of a shared link)
  bench    --privacy [--json]   (the PRV accountant's cost alone, no GPU: epsilon of 20,000 steps at four settings, ms and CPU ms)
  (tables larger than one binding are split across buffers by themselves; --shard-rows N forces at most N rows per buffer)
  privacy  [--accountant prv|rdp] --q Q --sigma S --steps N --delta D [--json]   (or --target-epsilon E instead of --sigma)
           prv (default): upper bound, estimate and lower bound [--eps-error 0.01]; rdp: [--orders opacus|tfp]
  privacy  --algo dp-adafest --selection-sigma S1 --sigma S2 --q Q --steps N --delta D [--accountant prv|rdp] [--json]
           (or --target-epsilon E for sigma2, with --selection-sigma or --sigma-ratio R); --algo dp-fest --histogram-sigma H|--prior public --sigma S ...
  (train and bench take --accountant prv|rdp like every config key)
  device   [--json]
${FRONTIER_HELP}
${AUDIT_HELP}
algorithms (--algo): ${ALGORITHMS.map((a) => `${a.name} (${a.label})`).join(', ')}
config keys: ${CONFIG_KEYS.join(', ')} (camelCase or kebab-case; lists comma-separated)
defaults: ${JSON.stringify(DEFAULT_CONFIG)}`;

export async function main(argv: string[]): Promise<number> {
  try {
    const { command, flags } = parseArgs(argv);
    // `<command> --help` prints the usage; it never starts the command (a bench runs for minutes)
    if (flags.help) {
      console.log(HELP);
      return 0;
    }
    switch (command) {
      case 'train':
        await train(flags);
        return 0;
      case 'bench':
        if (flags.privacy !== undefined) {
          // the accountant's cost alone, no GPU
          for (const k of Object.keys(flags))
            if (k !== 'privacy' && k !== 'json') throw new Error(`--${k} does not apply to 'bench --privacy'`);
          const r = privacyBench();
          console.log(flags.json ? r.json.map((x) => JSON.stringify(x, jsonInfinity)).join('\n') : r.text);
          return 0;
        }
        await benchCommand(flags, {
          configFromFlags,
          openDevice,
          shardRows: shardRowsFlag,
          accounting: accountingFigure,
        });
        return 0;
      case 'privacy': {
        const r = privacyCommand(flags);
        console.log(flags.json ? JSON.stringify(r.json, jsonInfinity) : r.text);
        return 0;
      }
      case 'device':
        await deviceCmd(flags);
        return 0;
      case 'frontier':
        await frontierCommand(flags, { configFromFlags, openDevice });
        return 0;
      case 'audit':
        await auditCommand(flags, configFromFlags, openDevice);
        return 0;
      case 'help':
      case '--help':
        console.log(HELP);
        return 0;
      default:
        console.error(`unknown command ${command}\n\n${HELP}`);
        return 2;
    }
  } catch (e) {
    const err = e as Error;
    console.error(`error: ${userMessage(err.message)}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
