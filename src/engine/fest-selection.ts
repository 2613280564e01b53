// DP-FEST's selection (docs/algorithms-fest.md), made once before the first step: per table the
// festK rows of largest noisy use (a Gaussian histogram over the training data, part of ε), or
// with festPrior=public the synthetic generator's most popular ranks (declared public: nothing
// about the training data is released). Saved in checkpoints and exports (fest.selection).
import type { Config } from '../config/config';
import { ConfigError } from '../config/errors';
import type { LabData } from '../data/synthetic';
import { rankToRow } from '../data/synthetic';
import { festHistogram, topK } from '../kernels/fest-select';
import type { Key } from '../noise/philox';

/** Each table's selected rows, sorted ascending (min(festK, rows) of them). */
export function chooseSelection(c: Config, data: LabData, key: Key): Uint32Array[] {
  const ks = data.rows.map((R) => Math.min(c.festK, R));
  if (c.festPrior === 'public') {
    if (data.source !== 'synthetic')
      throw new ConfigError(
        'festPrior',
        `festPrior=public declares the synthetic generator's popularity ranks; a ${data.source} data set has none: use festPrior=private`,
      );
    return data.rows.map((R, t) => {
      const row = rankToRow(R, c.dataSeed, t);
      return Uint32Array.from({ length: ks[t] }, (_, k) => row(k)).sort();
    });
  }
  const p = { rows: data.rows, L: c.pooling, bound: c.festBound, sigma: c.festHistogramSigma, key };
  const { noisy } = festHistogram(p, data.train.idx);
  return noisy.map((v, t) => topK(v, ks[t]));
}

/** The selection as one list of (table, row) for a file: table t's rows after t's count. */
export function encodeSelection(sel: readonly Uint32Array[]): number[] {
  return sel.flatMap((s) => [s.length, ...s]);
}

/** Inverse of encodeSelection; throws when the list does not fit the tables. */
export function decodeSelection(flat: readonly number[], rows: readonly number[]): Uint32Array[] {
  const out: Uint32Array[] = [];
  let at = 0;
  for (const R of rows) {
    const n = flat[at++];
    if (!(Number.isInteger(n) && n >= 0 && at + n <= flat.length)) break;
    const s = Uint32Array.from(flat.slice(at, at + n));
    if (s.some((r) => r >= R)) throw new RangeError(`DP-FEST selection: row out of range for a table of ${R} rows`);
    out.push(s);
    at += n;
  }
  if (out.length !== rows.length || at !== flat.length)
    throw new RangeError('DP-FEST selection: the saved list does not match the tables');
  return out;
}
