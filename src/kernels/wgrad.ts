// MLP weight and bias gradients split over the batch (shaders/wgrad.wgsl): per layer one
// `partial` dispatch into chunk partials, then one `reduce` for all layers in a fixed chunk
// order; with CPU references (the plain sum, and the chunked sum the GPU does, in f32).
import code from '../../shaders/wgrad.wgsl?raw';
import { withLibs, WORKGROUP, makeDispatch, gridFor, dummyBuffer, type Dispatch, type Program } from './program';
import { exampleScale } from './matmul';

export const WGRAD_CODE = withLibs(code, { clip: true });
export const WGRAD_TILE = 32;
/** Batch rows per tile step: chunks are multiples of it. */
export const WGRAD_TK = 16;
/** At most this many chunks, and partials of at most this many bytes (else fewer chunks). */
export const WGRAD_MAX_CHUNKS = 16;
export const WGRAD_MIN_CHUNK = 128;
export const WGRAD_PARTIAL_BYTES = 64 << 20;

export function wgradPartialProgram(scaleMode: 0 | 1 | 2): Program {
  return { name: 'wgrad', code: WGRAD_CODE, entry: 'partial', constants: { SCALE_MODE: scaleMode } };
}
export const wgradReduceProgram: Program = { name: 'wgrad', code: WGRAD_CODE, entry: 'reduce', workgroup: WORKGROUP };

/**
 * How the batch of B rows is cut for an MLP of `params` values (weights and biases): `chunks`
 * chunks of `chunk` rows (the last may be shorter). Enough chunks to spread small layers over a
 * GPU, few enough that the partials (chunks x params floats, none with one chunk) stay small.
 */
export function wgradSplit(B: number, params: number): { chunks: number; chunk: number; partialBytes: number } {
  const byMemory = Math.floor(WGRAD_PARTIAL_BYTES / Math.max(1, params * 4));
  const want = Math.max(1, Math.min(WGRAD_MAX_CHUNKS, Math.ceil(B / WGRAD_MIN_CHUNK), byMemory));
  const chunk = Math.max(WGRAD_TK, Math.ceil(Math.ceil(B / want) / WGRAD_TK) * WGRAD_TK);
  const chunks = Math.max(1, Math.ceil(B / chunk));
  return { chunks, chunk, partialBytes: chunks > 1 ? chunks * params * 4 : 0 };
}

export interface WgradParams {
  /** outputs, inputs (the bias is input column N), batch rows */
  M: number;
  N: number;
  K: number;
  chunk: number;
  offG: number;
  ldG: number;
  offA: number;
  ldA: number;
  offScale: number;
  clipSq: number;
  /** where the layer's weight starts in the gradient layout (its bias follows) */
  offOut: number;
  /** elements per chunk of partials (all layers' gradients) */
  stride: number;
}

/** Chunk c's partial sums of the layer's weight and bias into P at c * stride + offOut. */
export function wgradPartial(
  device: GPUDevice,
  mode: 0 | 1 | 2,
  p: WgradParams,
  b: { G: GPUBuffer; A: GPUBuffer; scale?: GPUBuffer | null; P: GPUBuffer },
): Dispatch {
  const groups: [number, number, number] = [
    Math.ceil((p.N + 1) / WGRAD_TILE),
    Math.ceil(p.M / WGRAD_TILE),
    Math.ceil(p.K / p.chunk),
  ];
  return makeDispatch(
    device,
    wgradPartialProgram(mode),
    { G: b.G, A: b.A, scale: b.scale ?? dummyBuffer(device), P: b.P },
    groups,
    { u: { ...p, chunks: 0 } },
  );
}

/** out[i] = sum over chunks c in order of parts[c * n + i], for i < n. */
export function wgradReduce(
  device: GPUDevice,
  p: { n: number; chunks: number },
  b: { parts: GPUBuffer; out: GPUBuffer },
): Dispatch {
  const u = {
    M: 0,
    N: 0,
    K: 0,
    chunk: 0,
    chunks: p.chunks,
    offG: 0,
    ldG: 0,
    offA: 0,
    ldA: 0,
    offScale: 0,
    clipSq: 0,
    offOut: 0,
    stride: p.n,
  };
  return makeDispatch(device, wgradReduceProgram, b, gridFor(wgradReduceProgram, p.n), { u });
}

/** CPU reference of the gradient (plain sum over the batch, f64): the layer's weight then bias at offOut. */
export function wgradRef(
  mode: number,
  p: WgradParams,
  G: ArrayLike<number>,
  A: ArrayLike<number>,
  scale: ArrayLike<number>,
  out: Float32Array,
  kBeg = 0,
  kEnd = p.K,
  base = p.offOut,
): void {
  for (let m = 0; m < p.M; m++) {
    const row = new Float64Array(p.N + 1);
    for (let k = kBeg; k < kEnd; k++) {
      const g = Math.fround(G[p.offG + k * p.ldG + m] * exampleScale(mode, scale, p.offScale, k, p.clipSq));
      for (let n = 0; n < p.N; n++) row[n] += g * A[p.offA + k * p.ldA + n];
      row[p.N] += g;
    }
    for (let n = 0; n < p.N; n++) out[base + m * p.N + n] = row[n];
    out[base + p.M * p.N + m] = row[p.N];
  }
}

/** CPU reference of `partial`: every chunk's sums into parts (chunk c at c * stride + offOut). */
export function wgradPartialRef(
  mode: number,
  p: WgradParams,
  G: ArrayLike<number>,
  A: ArrayLike<number>,
  scale: ArrayLike<number>,
  parts: Float32Array,
): void {
  for (let c = 0; c * p.chunk < p.K; c++)
    wgradRef(mode, p, G, A, scale, parts, c * p.chunk, Math.min((c + 1) * p.chunk, p.K), c * p.stride + p.offOut);
}

/** CPU reference of `reduce`: the same f32 additions in the same order, so equal bit for bit. */
export function wgradReduceRef(n: number, chunks: number, parts: ArrayLike<number>): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let c = 0; c < chunks; c++) acc = Math.fround(acc + parts[c * n + i]);
    out[i] = acc;
  }
  return out;
}
