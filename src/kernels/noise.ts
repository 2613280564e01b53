// Noisy updates: MLP tensors (shaders/mlp_update.wgsl), eager table noise
// (shaders/table_noise.wgsl) and LazyDP's deferred noise (shaders/lazy.wgsl), with CPU references
// built on the TypeScript Philox (src/noise/philox.ts).
import mlpCode from '../../shaders/mlp_update.wgsl?raw';
import tableCode from '../../shaders/table_noise.wgsl?raw';
import lazyCode from '../../shaders/lazy.wgsl?raw';
import { withLibs, type Program } from './program';
import { eagerTableNoise, lazyTableNoise, mlpNoise, type Key } from '../noise/philox';
import { heads } from './sort';

export const MLP_UPDATE_CODE = withLibs(mlpCode, { philox: true, step: true, optim: true });
export const TABLE_NOISE_CODE = withLibs(tableCode, { philox: true, step: true });
export const LAZY_CODE = withLibs(lazyCode, { philox: true, step: true });

export type NoiseMode = 0 | 1 | 2; // none, fused, unfused
export function mlpUpdateProgram(noise: NoiseMode): Program {
  return { name: 'mlp_update', code: MLP_UPDATE_CODE, entry: 'update', workgroup: 64, constants: { NOISE: noise } };
}
/** The stateful MLP updates (mlpOptimizer momentum or adam); bindings 5-7: Optim, m, v. */
export function mlpOptimProgram(opt: 'momentum' | 'adam', noise: NoiseMode): Program {
  return { name: 'mlp_update', code: MLP_UPDATE_CODE, entry: opt, workgroup: 64, constants: { NOISE: noise } };
}
export const mlpSampleProgram: Program = { name: 'mlp_update', code: MLP_UPDATE_CODE, entry: 'sample', workgroup: 64 };
export const tableNoiseFusedProgram: Program = { name: 'table_noise', code: TABLE_NOISE_CODE, entry: 'fused', workgroup: 64 };
export const tableNoiseSampleProgram: Program = { name: 'table_noise', code: TABLE_NOISE_CODE, entry: 'sample', workgroup: 64 };
export const tableNoiseAddProgram: Program = { name: 'table_noise', code: TABLE_NOISE_CODE, entry: 'add', workgroup: 64 };
export function lazyProgram(entry: 'lookahead' | 'flush', exact: boolean): Program {
  return { name: 'lazy', code: LAZY_CODE, entry, workgroup: 64, constants: { EXACT: exact } };
}

export interface StepValues { step: number; lr: number; invB: number; noiseStd: number; key: Key }

export function mlpUpdateRef(st: StepValues, p: number, grad: ArrayLike<number>, W: Float32Array, noise: boolean): void {
  for (let i = 0; i < W.length; i++) {
    const z = noise ? st.noiseStd * mlpNoise(st.key, p, i, st.step) : 0;
    W[i] -= st.lr * st.invB * (grad[i] + z);
  }
}

// Shards: E (and H) may hold only rows rowStart .. rowStart + rows of the table, as the engine
// splits a table larger than one binding; counters always use the table's row number.

export function tableNoiseRef(st: StepValues, table: number, rows: number, D: number, E: Float32Array, rowStart = 0): void {
  const s = st.lr * st.invB * st.noiseStd;
  for (let r = 0; r < rows; r++) for (let c = 0; c < D; c++) E[r * D + c] -= s * eagerTableNoise(st.key, table, rowStart + r, c, st.step);
}

/** lr of step s at lrs[s]; prefix[s] = sum_{u <= s} lr_u^2 (in f64 here). `r` is the row within the shard. */
export function applyPendingRef(
  st: StepValues, table: number, r: number, D: number, E: Float32Array, H: Uint32Array, lrs: ArrayLike<number>, prefix: ArrayLike<number>, exact: boolean, rowStart = 0,
): void {
  const h = H[r],
    t = st.step,
    row = rowStart + r;
  if (h >= t) return;
  if (exact) {
    for (let s = h + 1; s <= t; s++) {
      const scale = lrs[s] * st.invB * st.noiseStd;
      for (let c = 0; c < D; c++) E[r * D + c] -= scale * eagerTableNoise(st.key, table, row, c, s);
    }
  } else {
    const scale = Math.sqrt(Math.max(prefix[t] - prefix[h], 0)) * st.invB * st.noiseStd;
    for (let c = 0; c < D; c++) E[r * D + c] -= scale * lazyTableNoise(st.key, table, row, c, t);
  }
  H[r] = t;
}

export function lookaheadRef(
  st: StepValues, table: number, D: number, keys: ArrayLike<number>, E: Float32Array, H: Uint32Array, lrs: ArrayLike<number>, prefix: ArrayLike<number>, exact: boolean, rowStart = 0, rows = H.length,
): void {
  for (const h of heads(keys)) {
    const r = keys[h] - rowStart;
    if (r >= 0 && r < rows) applyPendingRef(st, table, r, D, E, H, lrs, prefix, exact, rowStart);
  }
}

export function flushRef(st: StepValues, table: number, rows: number, D: number, E: Float32Array, H: Uint32Array, lrs: ArrayLike<number>, prefix: ArrayLike<number>, exact: boolean, rowStart = 0): void {
  for (let r = 0; r < rows; r++) applyPendingRef(st, table, r, D, E, H, lrs, prefix, exact, rowStart);
}
