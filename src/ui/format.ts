// Number formatting shared by every view, so a value reads the same in a chart, a table and a tooltip.

/** The first letter capitalised: engine messages start lower-case, sentences in the page do not. */
export const sentence = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export function fmtRows(n: number): string {
  if (n >= 2 ** 30 && n % 2 ** 30 === 0) return `${n / 2 ** 30}Gi`;
  if (n >= 2 ** 20 && n % 2 ** 20 === 0) return `${n / 2 ** 20}Mi`;
  if (n >= 2 ** 10 && n % 2 ** 10 === 0) return `${n / 2 ** 10}Ki`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toLocaleString('en-US');
}

/** the engine's, so a size reads the same in an engine message and in the page */
export { fmtBytes } from '../engine';

/** Milliseconds with sensible precision; µs below 0.1 ms. */
export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms === 0) return '0';
  if (ms < 0.1) return `${(ms * 1000).toFixed(ms < 0.01 ? 1 : 0)} µs`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** Small probabilities such as δ: 1 × 10⁻⁵ rather than 0.00001 or 1e-5. */
export function fmtSci(x: number): string {
  if (!Number.isFinite(x) || x === 0 || (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e6)) return fmtNum(x, 3);
  const e = Math.floor(Math.log10(Math.abs(x)));
  const m = Number((x / 10 ** e).toPrecision(3));
  const sup = String(e).replace(/[-0-9]/g, (d) => '⁻⁰¹²³⁴⁵⁶⁷⁸⁹'['-0123456789'.indexOf(d)]);
  return `${m === 1 ? '' : `${m} × `}10${sup}`;
}

/** Epsilon in a chip or a cell: "∞" when not finite (sigma 0 or too small), never "–". */
export function fmtEps(x: number | undefined, digits = 3): string {
  return x !== undefined && x === Infinity ? '∞' : fmtNum(x, digits);
}

export function fmtNum(x: number | undefined, digits = 3): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e6)) return x.toExponential(2);
  return Number(x.toPrecision(digits)).toString();
}

const SUFFIX: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };

/**
 * A count as people type it: 1048576, 1,048,576, 1e5, 2^20, 1Mi, 1.5k (Ki/Mi/Gi binary,
 * k/M/G decimal). NaN when the text is none of these or not a whole number.
 */
export function parseCount(text: string): number {
  const t = text.trim().replace(/[,_\s]/g, '');
  let m = /^2\^(\d{1,2})$/.exec(t);
  if (m) return 2 ** Number(m[1]);
  m = /^(\d+(?:\.\d+)?)(k|K|M|G|Ki|Mi|Gi)$/.exec(t);
  const n = m ? Number(m[1]) * SUFFIX[m[2]] : /^\d+(?:\.\d+)?(?:[eE]\+?\d+)?$/.test(t) ? Number(t) : NaN;
  return Number.isInteger(n) ? n : NaN;
}

/** The smallest of 1, 2, 2.5 or 5 times a power of ten that is at least x (a round axis step). */
export function niceStep(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((v) => v >= x * (1 - 1e-9))!;
}
