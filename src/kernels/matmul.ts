// Tiled matrix multiply with strided views (shaders/matmul.wgsl) and its CPU reference.
import code from '../../shaders/matmul.wgsl?raw';
import { withLibs, makeDispatch, dummyBuffer, type Dispatch, type Program } from './program';

export const MATMUL_CODE = withLibs(code, { clip: true });
export const MATMUL_TILE = 32;

export interface MatmulOptions {
  bias?: boolean;
  relu?: boolean;
  reluMask?: boolean;
  /** 0 none, 1 flat clip factor, 2 per-layer factor from squared norms */
  scaleMode?: 0 | 1 | 2;
}

export interface MatmulParams {
  M: number;
  N: number;
  K: number;
  offA: number;
  sAm: number;
  sAk: number;
  offB: number;
  sBk: number;
  sBn: number;
  offC: number;
  ldc: number;
  offAux: number;
  ldAux: number;
  offScale: number;
  clipSq: number;
}

export function matmulProgram(o: MatmulOptions): Program {
  return {
    name: 'matmul',
    code: MATMUL_CODE,
    constants: { BIAS: !!o.bias, RELU: !!o.relu, RELU_MASK: !!o.reluMask, SCALE_MODE: o.scaleMode ?? 0 },
  };
}

export function matmulGroups(p: Pick<MatmulParams, 'M' | 'N'>): [number, number] {
  return [Math.ceil(p.N / MATMUL_TILE), Math.ceil(p.M / MATMUL_TILE)];
}

/** Strides and offsets default to 0; M, N and K are required. */
export type MatmulShape = Partial<MatmulParams> & Pick<MatmulParams, 'M' | 'N' | 'K'>;

/** C = A diag(s) B (+ bias, ReLU or ReLU mask per `o`); `aux` is the bias or the mask's activations. */
export function matmul(
  device: GPUDevice,
  o: MatmulOptions,
  shape: MatmulShape,
  b: { A: GPUBuffer; Bm: GPUBuffer; C: GPUBuffer; aux?: GPUBuffer | null; scale?: GPUBuffer | null },
): Dispatch {
  const p: MatmulParams = {
    offA: 0,
    sAm: 0,
    sAk: 0,
    offB: 0,
    sBk: 0,
    sBn: 0,
    offC: 0,
    ldc: 0,
    offAux: 0,
    ldAux: 0,
    offScale: 0,
    clipSq: 0,
    ...shape,
  };
  const dummy = dummyBuffer(device);
  return makeDispatch(
    device,
    matmulProgram(o),
    { A: b.A, Bm: b.Bm, C: b.C, aux: b.aux ?? dummy, scale: b.scale ?? dummy },
    matmulGroups(p),
    { u: p },
  );
}

export function exampleScale(mode: number, scale: ArrayLike<number>, off: number, k: number, clipSq: number): number {
  if (mode === 1) return scale[off + k];
  if (mode === 2) {
    const sq = scale[off + k];
    return sq <= clipSq ? 1 : Math.sqrt(clipSq / sq);
  }
  return 1;
}

/** CPU reference: writes C in place, exactly the kernel's semantics. */
export function matmulRef(
  o: MatmulOptions,
  p: MatmulParams,
  A: ArrayLike<number>,
  B: ArrayLike<number>,
  C: Float32Array,
  aux: ArrayLike<number> = [],
  scale: ArrayLike<number> = [],
): void {
  for (let m = 0; m < p.M; m++)
    for (let n = 0; n < p.N; n++) {
      let acc = 0;
      for (let k = 0; k < p.K; k++)
        acc +=
          A[p.offA + m * p.sAm + k * p.sAk] *
          exampleScale(o.scaleMode ?? 0, scale, p.offScale, k, p.clipSq) *
          B[p.offB + k * p.sBk + n * p.sBn];
      if (o.bias) acc += aux[p.offAux + n];
      if (o.relu) acc = Math.max(acc, 0);
      if (o.reluMask && aux[p.offAux + m * p.ldAux + n] <= 0) acc = 0;
      C[p.offC + m * p.ldc + n] = acc;
    }
}
