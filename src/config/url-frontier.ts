// The privacy-utility frontier's settings as they travel in a link (url.ts: frontierAlgos,
// frontierEpsilons, frontierSeeds) and as the lab's fields and the CLI's flags read them: which
// private algorithms, which target epsilons. Pure; each bad value throws a message that names
// what to change.
import { ALGORITHMS } from '../algorithms';
import { parseDecimal } from './config';

/** The private algorithms a frontier may list (the non-private baseline always runs by itself). */
export const FRONTIER_ALGO_NAMES: readonly string[] = ALGORITHMS.filter((a) => a.private).map((a) => a.name);

/**
 * The default frontier: the eager algorithm and its lazy counterpart (DP-SGD and LazyDP, one
 * model at two costs) at five targets, one seed.
 */
export const FRONTIER_DEFAULT = {
  algos: ALGORITHMS.filter((a) => a.private && (a.tableNoise === 'eager' || a.tableNoise === 'lazy')).map(
    (a) => a.name,
  ),
  epsilons: [0.5, 1, 2, 4, 8],
  seeds: 1,
};

/** At most this many targets: each is a run per algorithm and seed. */
export const MAX_FRONTIER_EPSILONS = 12;

function items(raw: string, what: string): string[] {
  const out = raw.split(',').map((s) => s.trim());
  if (raw.trim() === '' || out.some((s) => s === '')) throw new Error(`needs a comma-separated list of ${what}`);
  if (new Set(out).size !== out.length) throw new Error(`lists ${raw}: each value once`);
  return out;
}

/** `dpsgd,lazydp` -> the names, each a registered private algorithm, each once. */
export function parseFrontierAlgos(raw: string): string[] {
  const out = items(raw, 'private algorithms');
  for (const a of out)
    if (!FRONTIER_ALGO_NAMES.includes(a))
      throw new Error(
        `${JSON.stringify(a.slice(0, 40))} is not a private algorithm (choose from ${FRONTIER_ALGO_NAMES.join(', ')})`,
      );
  return out;
}

/** `0.5,1,2` -> the targets, each in (0, 1e6], each once, at most MAX_FRONTIER_EPSILONS. */
export function parseFrontierEpsilons(raw: string): number[] {
  const out = items(raw, 'target epsilons').map((s) => {
    const e = parseDecimal(s);
    if (!(e > 0 && e <= 1e6)) throw new Error(`each target must be a number in (0, 1e6], got ${s.slice(0, 40)}`);
    return e;
  });
  if (new Set(out).size !== out.length) throw new Error(`lists ${raw}: each value once`);
  if (out.length > MAX_FRONTIER_EPSILONS)
    throw new Error(`${out.length} targets: at most ${MAX_FRONTIER_EPSILONS} (each is a run per algorithm)`);
  return out;
}
