// GPU sort of a batch's (row, slot) pairs by row, every table in the same passes
// (shaders/sort.wgsl), with CPU reference.
import code from '../../shaders/sort.wgsl?raw';
import { withLibs, makeDispatch, gridFor, grid, u32Storage, type Dispatch, type Program } from './program';
import { INVALID_ROW } from './gather';

export const SORT_CODE = withLibs(code, { rows: true });
export const SORT_BLOCK = 512;
export const sortBuildProgram: Program = { name: 'sort', code: SORT_CODE, entry: 'build', workgroup: 256 };
/** One workgroup per block of SORT_BLOCK pairs, 64 threads each (LOCAL_THREADS in the shader). */
export const sortLocalProgram: Program = { name: 'sort', code: SORT_CODE, entry: 'local_sort' };
export const sortGlobalProgram: Program = { name: 'sort', code: SORT_CODE, entry: 'global_step', workgroup: 256 };
export const sortGlobal2Program: Program = { name: 'sort', code: SORT_CODE, entry: 'global_step2', workgroup: 256 };

/** Padded pair count: a power of two, at least one block. */
export function sortSize(used: number): number {
  let n = SORT_BLOCK;
  while (n < used) n *= 2;
  return n;
}

export type SortStep =
  { kind: 'local'; k: number } | { kind: 'global'; k: number; j: number } | { kind: 'global2'; k: number; j: number };

/** The bitonic network as passes: blocks sorted locally, then per merge stage k the long-range
 * steps (j >= 512) globally, two per pass where two remain (j and j/2), and the short ones in
 * workgroup memory. */
export function sortPlan(n: number): SortStep[] {
  const steps: SortStep[] = [{ kind: 'local', k: 0 }];
  for (let k = 2 * SORT_BLOCK; k <= n; k *= 2) {
    let j = k / 2;
    for (; j / 2 >= SORT_BLOCK; j /= 4) steps.push({ kind: 'global2', k, j });
    if (j >= SORT_BLOCK) steps.push({ kind: 'global', k, j });
    steps.push({ kind: 'local', k });
  }
  return steps;
}

export interface SortParams {
  /** padded pair count per table (sortSize) */
  n: number;
  /** real pairs per table: batch x L */
  used: number;
  L: number;
  /** rows of each table (one number: one table): an index at or past it is skipped */
  rows: number | number[];
  /** table t's indices start at offIdx + t * strideIdx */
  offIdx: number;
  strideIdx?: number;
}

/**
 * Every pass of the sort of each table's pairs, in order: build, then the bitonic network. Table
 * t's sorted pairs land at t * n .. (t + 1) * n of keys and vals; all tables share each pass.
 */
export function sortPairs(
  device: GPUDevice,
  p: SortParams,
  b: { idx: GPUBuffer; mask: GPUBuffer; keys: GPUBuffer; vals: GPUBuffer },
): Dispatch[] {
  const rows = typeof p.rows === 'number' ? [p.rows] : p.rows;
  const T = rows.length;
  const tableRows = u32Storage(device, 'sort.tableRows', rows);
  const base = { n: p.n, used: p.used, L: p.L, tables: T, offIdx: p.offIdx, strideIdx: p.strideIdx ?? 0, k: 0, j: 0 };
  const kv = { keys: b.keys, vals: b.vals };
  const build = makeDispatch(device, sortBuildProgram, { ...b, tableRows }, gridFor(sortBuildProgram, p.n * T), {
    u: base,
  });
  build.owned.push(tableRows);
  const out = [build];
  for (const st of sortPlan(p.n)) {
    const u = { ...base, k: st.k, j: st.kind === 'local' ? 0 : st.j };
    if (st.kind === 'local')
      out.push(makeDispatch(device, sortLocalProgram, kv, grid((p.n / SORT_BLOCK) * T, 1), { u }));
    else if (st.kind === 'global')
      out.push(makeDispatch(device, sortGlobalProgram, kv, gridFor(sortGlobalProgram, (p.n / 2) * T), { u }));
    else out.push(makeDispatch(device, sortGlobal2Program, kv, gridFor(sortGlobal2Program, (p.n / 4) * T), { u }));
  }
  return out;
}

/** CPU reference: the pairs the build kernel makes, sorted by (row, slot). */
export function sortPairsRef(
  n: number,
  used: number,
  L: number,
  rows: number,
  idx: ArrayLike<number>,
  offIdx: number,
  mask: ArrayLike<number>,
): { keys: Uint32Array; vals: Uint32Array } {
  const pairs: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    let key = INVALID_ROW;
    if (i < used) {
      const r = idx[offIdx + i];
      if (r < rows && mask[Math.floor(i / L)] > 0) key = r;
    }
    pairs.push([key, i]);
  }
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return { keys: Uint32Array.from(pairs, (p) => p[0]), vals: Uint32Array.from(pairs, (p) => p[1]) };
}

/** CPU reference of the all-tables sort: each table's sortPairsRef, one after another. */
export function sortAllRef(
  n: number,
  used: number,
  L: number,
  rows: number[],
  idx: ArrayLike<number>,
  strideIdx: number,
  mask: ArrayLike<number>,
): { keys: Uint32Array; vals: Uint32Array } {
  const keys = new Uint32Array(n * rows.length),
    vals = new Uint32Array(n * rows.length);
  rows.forEach((R, t) => {
    const r = sortPairsRef(n, used, L, R, idx, t * strideIdx, mask);
    keys.set(r.keys, t * n);
    vals.set(r.vals, t * n);
  });
  return { keys, vals };
}

/** Positions that start a run of equal valid rows: one per unique row of the batch. */
export function heads(keys: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let p = 0; p < keys.length; p++)
    if (keys[p] !== INVALID_ROW && (p === 0 || keys[p - 1] !== keys[p])) out.push(p);
  return out;
}
