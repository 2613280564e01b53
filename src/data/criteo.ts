// Criteo click logs (the Kaggle / Terabyte TSV that DLRM reads): per line a 0/1 label, 13 integer
// features and 26 categorical features as 8-digit hex strings, tab-separated, any field may be
// empty. Dense features become log(1 + max(x, 0)) (DLRM's preprocessing); a categorical value is
// hashed (FNV-1a over table index and text) to a row of its table; an empty one is an empty bag.
import type { Dataset, LabData } from './synthetic';
import { INVALID_ROW } from './format';

export const CRITEO_DENSE = 13;
export const CRITEO_TABLES = 26;
const FIELDS = 1 + CRITEO_DENSE + CRITEO_TABLES;

export class DataError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(line > 0 ? `line ${line}: ${message}` : message);
    this.name = 'DataError';
  }
}

/** FNV-1a of the table index and the text, reduced to [0, rows). */
export function hashToRow(table: number, text: string, rows: number): number {
  let h = 0x811c9dc5 ^ table;
  h = Math.imul(h, 0x01000193) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % rows;
}

const INT = /^-?\d+$/;
const HEX = /^[0-9a-fA-F]{1,16}$/;

/** Malformed lines whose numbers an error lists (all are counted). */
export const MALFORMED_SHOWN = 5;

/** One record into the arrays at `i`; the problem (without the line number) when malformed. */
function parseLine(
  line: string,
  i: number,
  rows: number[],
  labels: Float32Array,
  dense: Float32Array,
  idx: Uint32Array[],
): string | undefined {
  const f = line.split('\t');
  if (f.length !== FIELDS)
    return `expected ${FIELDS} tab-separated fields (label, ${CRITEO_DENSE} integers, ${CRITEO_TABLES} hex categories), got ${f.length}`;
  if (f[0] !== '0' && f[0] !== '1') return `label must be 0 or 1, got ${JSON.stringify(f[0].slice(0, 20))}`;
  labels[i] = f[0] === '1' ? 1 : 0;
  for (let j = 0; j < CRITEO_DENSE; j++) {
    const s = f[1 + j];
    if (s === '') continue;
    if (!INT.test(s)) return `integer feature I${j + 1} is not an integer: ${JSON.stringify(s.slice(0, 20))}`;
    dense[i * CRITEO_DENSE + j] = Math.log1p(Math.max(0, Number(s)));
  }
  for (let t = 0; t < CRITEO_TABLES; t++) {
    const s = f[1 + CRITEO_DENSE + t];
    if (s === '') {
      idx[t][i] = INVALID_ROW;
      continue;
    }
    if (!HEX.test(s)) return `categorical feature C${t + 1} is not hex: ${JSON.stringify(s.slice(0, 20))}`;
    idx[t][i] = hashToRow(t, s.toLowerCase(), rows[t]);
  }
  return undefined;
}

/** Lines parsed between two calls of parseCriteo's `onProgress`. */
export const PROGRESS_EVERY = 8192;

/**
 * Parses Criteo TSV text. `rows` gives the 26 table sizes; the last `evalSize` lines (at most a
 * fifth of the file) are held out. Throws DataError naming the line and field at fault.
 * `onProgress(lines, total)`, when given, is called once the text is split (0 lines parsed) and
 * then every PROGRESS_EVERY lines (the lab's Web Worker reports it to the page).
 */
export function parseCriteo(
  text: string,
  rows: number[],
  evalSize: number,
  onProgress?: (lines: number, total: number) => void,
): LabData {
  if (rows.length !== CRITEO_TABLES)
    throw new DataError(
      0,
      `Criteo data has ${CRITEO_TABLES} categorical features: the config needs ${CRITEO_TABLES} tables, got ${rows.length}`,
    );
  // a UTF-8 byte-order mark (Windows editors write one) is not part of the first label
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // old Mac line endings: one "line" holding every record; say what to do instead of "expected 40 fields"
  if (!text.includes('\n') && text.includes('\r') && text.replace(/\r+$/, '').includes('\r'))
    throw new DataError(
      0,
      `the file's lines end in CR only (classic Mac OS), not LF or CRLF: convert it, e.g. tr '\\r' '\\n' < in.tsv > out.tsv`,
    );
  const lines = text.split('\n');
  // trailing blank lines (an editor's extra newlines) are not records
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  const n = lines.length;
  if (n < 2) throw new DataError(0, `Criteo data needs at least 2 lines (training and held-out), got ${n}`);
  const dense = new Float32Array(n * CRITEO_DENSE);
  const idx = rows.map(() => new Uint32Array(n));
  const labels = new Float32Array(n);
  onProgress?.(0, n);
  // every malformed line is counted; the first one's message and the first few line numbers are reported
  let bad = 0,
    firstBad: DataError | undefined;
  const badLines: number[] = [];
  for (let i = 0; i < n; i++) {
    if (onProgress && i > 0 && i % PROGRESS_EVERY === 0) onProgress(i, n);
    const problem = parseLine(lines[i].replace(/\r$/, ''), i, rows, labels, dense, idx);
    if (problem) {
      bad++;
      firstBad ??= new DataError(i + 1, problem);
      if (badLines.length < MALFORMED_SHOWN) badLines.push(i + 1);
    }
  }
  if (firstBad) {
    if (bad === 1) throw firstBad;
    throw new DataError(
      firstBad.line,
      `${firstBad.message.replace(/^line \d+: /, '')} (${bad} malformed lines in all, of ${n}: lines ${badLines.join(', ')}${bad > badLines.length ? ', …' : ''})`,
    );
  }
  // evalSize 0: no held-out lines at all (no AUC); otherwise at least one, at most a fifth of the file
  const nEval = evalSize === 0 ? 0 : Math.max(1, Math.min(evalSize, Math.floor(n / 5)));
  const nTrain = n - nEval;
  const slice = (from: number, to: number): Dataset => ({
    n: to - from,
    F: CRITEO_DENSE,
    T: CRITEO_TABLES,
    L: 1,
    dense: dense.slice(from * CRITEO_DENSE, to * CRITEO_DENSE),
    idx: idx.map((a) => a.slice(from, to)),
    labels: labels.slice(from, to),
  });
  return { train: slice(0, nTrain), eval: slice(nTrain, n), rows: rows.slice(), source: 'criteo' };
}
