// GPU sort of a batch's (row, slot) pairs by row (shaders/sort.wgsl), with CPU reference.
import code from '../../shaders/sort.wgsl?raw';
import { withLibs, makeDispatch, gridFor, type Dispatch, type Program } from './program';
import { INVALID_ROW } from './gather';

export const SORT_CODE = withLibs(code, { rows: true });
export const SORT_BLOCK = 512;
export const sortBuildProgram: Program = { name: 'sort', code: SORT_CODE, entry: 'build', workgroup: 256 };
/** One workgroup per block of SORT_BLOCK pairs, 64 threads each (LOCAL_THREADS in the shader). */
export const sortLocalProgram: Program = { name: 'sort', code: SORT_CODE, entry: 'local_sort' };
export const sortGlobalProgram: Program = { name: 'sort', code: SORT_CODE, entry: 'global_step', workgroup: 256 };

/** Padded pair count: a power of two, at least one block. */
export function sortSize(used: number): number {
  let n = SORT_BLOCK;
  while (n < used) n *= 2;
  return n;
}

export type SortStep = { kind: 'local'; k: number } | { kind: 'global'; k: number; j: number };

/** The bitonic network as passes: blocks sorted locally, then per merge stage k the long-range
 * steps (j >= 512) globally and the short ones in workgroup memory. */
export function sortPlan(n: number): SortStep[] {
  const steps: SortStep[] = [{ kind: 'local', k: 0 }];
  for (let k = 2 * SORT_BLOCK; k <= n; k *= 2) {
    for (let j = k / 2; j >= SORT_BLOCK; j /= 2) steps.push({ kind: 'global', k, j });
    steps.push({ kind: 'local', k });
  }
  return steps;
}

export interface SortParams {
  /** padded pair count (sortSize) */
  n: number;
  /** real pairs: batch x L */
  used: number;
  L: number;
  /** rows of the table: an index at or past it is skipped */
  rows: number;
  offIdx: number;
}

/** Every pass of the sort of one table's pairs, in order: build, then the bitonic network. */
export function sortPairs(
  device: GPUDevice,
  p: SortParams,
  b: { idx: GPUBuffer; mask: GPUBuffer; keys: GPUBuffer; vals: GPUBuffer },
): Dispatch[] {
  const base = { ...p, k: 0, j: 0 };
  const kv = { keys: b.keys, vals: b.vals };
  const out = [makeDispatch(device, sortBuildProgram, b, gridFor(sortBuildProgram, p.n), { u: base })];
  for (const st of sortPlan(p.n)) {
    const u = { ...base, k: st.k, j: st.kind === 'global' ? st.j : 0 };
    if (st.kind === 'local') out.push(makeDispatch(device, sortLocalProgram, kv, [p.n / SORT_BLOCK, 1], { u }));
    else out.push(makeDispatch(device, sortGlobalProgram, kv, gridFor(sortGlobalProgram, p.n / 2), { u }));
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

/** Positions that start a run of equal valid rows: one per unique row of the batch. */
export function heads(keys: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let p = 0; p < keys.length; p++)
    if (keys[p] !== INVALID_ROW && (p === 0 || keys[p - 1] !== keys[p])) out.push(p);
  return out;
}
