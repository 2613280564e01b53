// Dot interaction (shaders/interaction.wgsl): forward V -> Z and backward dZ -> dV, with CPU
// references. n = T + 1 feature vectors of width D per example; Z = [v_0, <v_a, v_c> for a < c]
// with pair (a, c) at column D + c(c-1)/2 + a (DLRM's order: (1,0), (2,0), (2,1), (3,0), ...).
import code from '../../shaders/interaction.wgsl?raw';
import { withLibs, WORKGROUP, makeDispatch, gridFor, type Dispatch, type Program } from './program';

export const INTERACTION_CODE = withLibs(code);
export const interactionForwardProgram: Program = {
  name: 'interaction_forward',
  code: INTERACTION_CODE,
  entry: 'forward',
  workgroup: WORKGROUP,
};
export const interactionBackwardProgram: Program = {
  name: 'interaction_backward',
  code: INTERACTION_CODE,
  entry: 'backward',
  workgroup: WORKGROUP,
};

/** Strided views: V [B, n*D] at offV/ldV, Z and dZ [B, width] at offZ/ldZ, dV [B, n*D] at offDV/ldDV. */
export interface InteractionParams {
  B: number;
  n: number;
  D: number;
  offV: number;
  ldV: number;
  offZ: number;
  ldZ: number;
  offDV: number;
  ldDV: number;
}

/** Width of z for n feature vectors of width D: D + n(n-1)/2. */
export function dotWidth(n: number, D: number): number {
  return D + (n * (n - 1)) / 2;
}

/** Column (after the first D) of the pair {i, j}, i != j. */
export function pairIndex(i: number, j: number): number {
  const a = Math.min(i, j),
    c = Math.max(i, j);
  return (c * (c - 1)) / 2 + a;
}

/** Threads of the forward (B * width) and backward (B * n * D) dispatches. */
export function interactionThreads(p: Pick<InteractionParams, 'B' | 'n' | 'D'>): { forward: number; backward: number } {
  return { forward: p.B * dotWidth(p.n, p.D), backward: p.B * p.n * p.D };
}

export function interactionForward(
  device: GPUDevice,
  p: InteractionParams,
  b: { V: GPUBuffer; Z: GPUBuffer },
): Dispatch {
  return makeDispatch(
    device,
    interactionForwardProgram,
    b,
    gridFor(interactionForwardProgram, interactionThreads(p).forward),
    { u: p },
  );
}

export function interactionBackward(
  device: GPUDevice,
  p: InteractionParams,
  b: { V: GPUBuffer; dZ: GPUBuffer; dV: GPUBuffer },
): Dispatch {
  return makeDispatch(
    device,
    interactionBackwardProgram,
    b,
    gridFor(interactionBackwardProgram, interactionThreads(p).backward),
    { u: p },
  );
}

export function interactionForwardRef(p: InteractionParams, V: ArrayLike<number>, Z: Float32Array): void {
  for (let b = 0; b < p.B; b++) {
    const row = p.offV + b * p.ldV,
      z = p.offZ + b * p.ldZ;
    for (let d = 0; d < p.D; d++) Z[z + d] = V[row + d];
    for (let c = 1; c < p.n; c++)
      for (let a = 0; a < c; a++) {
        let acc = 0;
        for (let d = 0; d < p.D; d++) acc += V[row + a * p.D + d] * V[row + c * p.D + d];
        Z[z + p.D + pairIndex(a, c)] = acc;
      }
  }
}

export function interactionBackwardRef(
  p: InteractionParams,
  dZ: ArrayLike<number>,
  V: ArrayLike<number>,
  dV: Float32Array,
): void {
  for (let b = 0; b < p.B; b++) {
    const z = p.offZ + b * p.ldZ,
      row = p.offV + b * p.ldV;
    for (let i = 0; i < p.n; i++)
      for (let d = 0; d < p.D; d++) {
        let acc = i === 0 ? dZ[z + d] : 0;
        for (let j = 0; j < p.n; j++) if (j !== i) acc += dZ[z + p.D + pairIndex(i, j)] * V[row + j * p.D + d];
        dV[p.offDV + b * p.ldDV + i * p.D + d] = acc;
      }
  }
}
