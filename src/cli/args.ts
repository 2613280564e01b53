// Command-line flags: `--key value` parsing, and a configuration from --config and --key flags
// (with the flag checks train and bench share). Split from main.ts; main.ts re-exports parseArgs
// and configFromFlags.
import { readFileSync } from 'node:fs';
import {
  CONFIG_KEYS,
  ConfigError,
  DEFAULT_CONFIG,
  defaultLr,
  makeConfig,
  parseDecimal,
  type Config,
  isPrivate,
} from '../config/config';
import { ALGORITHMS } from '../algorithms';

/** The private algorithms' names, for messages. */
const PRIVATE_ALGOS = ALGORITHMS.filter((a) => a.private)
  .map((a) => a.name)
  .join(', ');

export type Flags = Record<string, string | boolean>;

export const BOOL_FLAGS = new Set(['json', 'quiet', 'help', 'privacy', 'power']);
/** The switches every command takes; the others (bench --privacy, audit --power) only where listed. */
const COMMON_BOOL_FLAGS = new Set(['json', 'quiet', 'help']);

export function parseArgs(argv: string[]): { command: string; flags: Flags } {
  const [command = 'help', ...rest] = argv;
  // no prototype: `--__proto__ x` is a flag like any other (and refused as unknown), never a prototype
  const flags: Flags = Object.create(null) as Flags;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${JSON.stringify(a)} (flags look like --key value)`);
    let key = a.slice(2),
      val: string | boolean | undefined;
    const eq = key.indexOf('=');
    if (eq >= 0) {
      val = key.slice(eq + 1);
      key = key.slice(0, eq);
    }
    if (BOOL_FLAGS.has(key)) {
      // `--json=false` means no --json (a truthy string must not switch it on)
      if (val === 'false') delete flags[key];
      else if (val === undefined || val === 'true') flags[key] = true;
      else throw new Error(`--${key} takes no value (or =true, =false), got ${JSON.stringify(val)}`);
      continue;
    }
    if (val === undefined) {
      val = rest[++i];
      if (val === undefined) throw new Error(`--${key} needs a value`);
    }
    flags[key] = val;
  }
  return { command, flags };
}

export const camel = (k: string) => k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Config from --config file.json, then --key flags on top; other flags are returned apart. */
export function configFromFlags(
  flags: Flags,
  extra: string[],
  base: Config = DEFAULT_CONFIG,
): { config: Config; rest: Flags } {
  let partial: Record<string, unknown> = {};
  if (typeof flags.config === 'string') {
    let text: string;
    try {
      text = readFileSync(flags.config, 'utf8');
    } catch (e) {
      throw new Error(`--config: cannot read ${flags.config}: ${(e as Error).message}`, { cause: e });
    }
    // a UTF-8 byte order mark (Windows editors write one) is not part of the JSON
    if (text.startsWith('\uFEFF')) text = text.slice(1);
    try {
      partial = JSON.parse(text);
    } catch (e) {
      throw new Error(`--config: ${flags.config} is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
    if (typeof partial !== 'object' || partial === null || Array.isArray(partial))
      throw new Error(`--config: ${flags.config} must hold a JSON object`);
  }
  const rest: Flags = Object.create(null) as Flags;
  for (const [k, v] of Object.entries(flags)) {
    if (k === 'config') continue;
    const ck = camel(k);
    if ((CONFIG_KEYS as string[]).includes(ck)) partial[ck] = v;
    else if (extra.includes(k) || COMMON_BOOL_FLAGS.has(k)) rest[k] = v;
    else
      throw new ConfigError(
        k,
        `unknown flag --${k} (config keys: ${CONFIG_KEYS.join(', ')}; other flags: ${extra.join(', ')})`,
      );
  }
  const config = makeConfig(partial, base);
  checkPrivacyFlags(partial, config);
  // no learning rate given: the one that suits the optimizers (Adam at SGD's 0.5 kills the model)
  if (!Object.hasOwn(partial, 'lr') && base.lr === defaultLr(base))
    return { config: { ...config, lr: defaultLr(config) }, rest };
  return { config, rest };
}

/** The config keys given as flags (camelCase), as given. */
export function readConfigPartial(flags: Flags): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flags)) if ((CONFIG_KEYS as string[]).includes(camel(k))) out[camel(k)] = v;
  return out;
}

/** --shard-rows N: at most N rows per table buffer, to measure the split-table path on any size. */
export function shardRowsFlag(rest: Flags): number | undefined {
  const v = rest['shard-rows'];
  if (v === undefined) return undefined;
  const n = typeof v === 'string' ? parseDecimal(v) : NaN;
  if (typeof v !== 'string' || !Number.isInteger(n) || n < 1)
    throw new ConfigError('shard-rows', `needs a whole number of rows >= 1, got ${String(v)}`);
  return n;
}

/** --log-every N: a log point every N steps (1 .. 10,000,000). */
export function logEveryFlag(rest: Flags): number | undefined {
  const v = rest['log-every'];
  if (v === undefined) return undefined;
  const n = typeof v === 'string' ? parseDecimal(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 10_000_000)
    throw new ConfigError('log-every', `needs a whole number of steps >= 1, got ${String(v)}`);
  return n;
}

/** Flags that contradict each other, as `privacy` refuses them: sigma and a target epsilon; a target for sgd. */
export function checkPrivacyFlags(partial: Record<string, unknown>, c: Config): void {
  if (Object.hasOwn(partial, 'sigma') && Object.hasOwn(partial, 'targetEpsilon') && c.targetEpsilon > 0)
    throw new ConfigError(
      'targetEpsilon',
      'give either --sigma or --target-epsilon, not both (the target calibrates sigma)',
    );
  if (Object.hasOwn(partial, 'targetEpsilon') && c.targetEpsilon > 0 && !isPrivate(c))
    throw new ConfigError(
      'targetEpsilon',
      `${c.algo} adds no noise, so no sigma can reach a target epsilon: choose a private algo (${PRIVATE_ALGOS})`,
    );
}
