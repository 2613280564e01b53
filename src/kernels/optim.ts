// Dense table optimizers (shaders/table_optim.wgsl): plain SGD with weight decay, momentum and
// Adam over every row of a table shard, for sgd and dpsgd (LazyDP refuses them), with the CPU
// reference of the same math.
import code from '../../shaders/table_optim.wgsl?raw';
import {
  withLibs,
  WORKGROUP,
  makeDispatch,
  gridFor,
  dummyBuffer,
  setExactly,
  uniformView,
  type BufferArg,
  type Dispatch,
  type Program,
} from './program';
import { eagerTableNoise, mlpNoise } from '../noise/philox';
import type { TableOptimizer } from '../config/config';
import type { NoiseMode, ShardParams } from './noise';
import type { StepValues } from './step';

export const TABLE_OPTIM_CODE = withLibs(code, { philox: true, step: true, optim: true });

/** Hyperparameters, as torch.optim's defaults (momentum 0.9; Adam betas 0.9, 0.999, eps 1e-8). */
export const MOMENTUM = 0.9;
export const ADAM = { b1: 0.9, b2: 0.999, eps: 1e-8 };

export function tableOptimProgram(opt: TableOptimizer, noise: NoiseMode): Program {
  return { name: 'table_optim', code: TABLE_OPTIM_CODE, entry: opt, workgroup: WORKGROUP, constants: { NOISE: noise } };
}

/** The per-step values of struct Optim (bias corrections change with the step). */
export function optimValues(weightDecay: number, step: number): Record<string, number> {
  return {
    wd: weightDecay,
    mu: MOMENTUM,
    b1: ADAM.b1,
    b2: ADAM.b2,
    eps: ADAM.eps,
    c1: 1 / (1 - ADAM.b1 ** step),
    c2: 1 / (1 - ADAM.b2 ** step),
  };
}

/** The Optim uniform (shaders/lib/optim.wgsl), shared by the table and MLP optimizer passes. */
export class OptimUniform {
  readonly buffer: GPUBuffer;
  private view = uniformView(TABLE_OPTIM_CODE, 'o');
  constructor(
    private device: GPUDevice,
    private weightDecay: number,
    step = 1,
  ) {
    this.buffer = device.createBuffer({
      label: 'optim',
      size: this.view.arrayBuffer.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.write(step);
  }

  /** This step's values (Adam's bias corrections change with the step). */
  write(step: number): void {
    setExactly(this.view, 'Optim', optimValues(this.weightDecay, step));
    this.device.queue.writeBuffer(this.buffer, 0, this.view.arrayBuffer);
  }
}

/**
 * One dense optimizer pass over a shard: `G` holds the scattered row gradients (cleared here),
 * `noiseBuf` the unfused noise, M and V the optimizer state (momentum: M; Adam: M and V).
 */
export function tableOptim(
  device: GPUDevice,
  opt: TableOptimizer,
  noise: NoiseMode,
  p: ShardParams,
  b: {
    st: GPUBuffer;
    o: GPUBuffer;
    E: BufferArg;
    G: GPUBuffer;
    noiseBuf?: GPUBuffer | null;
    M?: GPUBuffer | null;
    V?: GPUBuffer | null;
  },
): Dispatch {
  const prog = tableOptimProgram(opt, noise);
  const quads = Math.ceil(p.D / 4);
  const bufs = { ...b, noiseBuf: b.noiseBuf ?? dummyBuffer(device), M: b.M ?? undefined, V: b.V ?? undefined };
  return makeDispatch(device, prog, bufs, gridFor(prog, p.rows * quads), {
    u: { rows: p.rows, D: p.D, quads, table: p.table, rowStart: p.rowStart },
  });
}

/** Optimizer state of one shard: m for momentum and Adam, v for Adam. */
export interface OptimState {
  M?: Float32Array;
  V?: Float32Array;
}

/** One optimizer step of value i with gradient estimate g (the same math as the WGSL). */
export function optimizerStep(
  opt: TableOptimizer,
  o: Record<string, number>,
  lr: number,
  g: number,
  i: number,
  W: Float32Array,
  state: OptimState,
): void {
  if (opt === 'sgd') W[i] -= lr * g;
  else if (opt === 'momentum') {
    state.M![i] = o.mu * state.M![i] + g;
    W[i] -= lr * state.M![i];
  } else {
    state.M![i] = o.b1 * state.M![i] + (1 - o.b1) * g;
    state.V![i] = o.b2 * state.V![i] + (1 - o.b2) * g * g;
    W[i] -= (lr * (state.M![i] * o.c1)) / (Math.sqrt(state.V![i] * o.c2) + o.eps);
  }
}

/**
 * One step of the dense optimizer on rows rowStart .. rowStart + rows of table `table`: `G` holds
 * the step's summed row gradients (untouched rows 0) and is cleared; `noise` adds eager DP-SGD's
 * draws (noiseStd z at counter (c >> 2, row, step, table)).
 */
export function tableOptimRef(
  opt: TableOptimizer,
  st: StepValues,
  weightDecay: number,
  table: number,
  D: number,
  E: Float32Array,
  G: Float32Array,
  state: OptimState,
  noise: boolean,
  rowStart = 0,
): void {
  const o = optimValues(weightDecay, st.step);
  const rows = E.length / D;
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < D; c++) {
      const i = r * D + c;
      const z = noise ? st.noiseStd * eagerTableNoise(st.key, table, rowStart + r, c, st.step) : 0;
      const g = st.invB * (G[i] + z) + o.wd * E[i];
      G[i] = 0;
      optimizerStep(opt, o, st.lr, g, i, E, state);
    }
}

/** One MLP tensor (parameter p) with mlpOptimizer `opt`: g = (grad + noiseStd z) / B, z at the MLP counter. */
export function mlpOptimRef(
  opt: TableOptimizer,
  st: StepValues,
  p: number,
  grad: ArrayLike<number>,
  W: Float32Array,
  state: OptimState,
  noise: boolean,
): void {
  const o = optimValues(0, st.step);
  for (let i = 0; i < W.length; i++) {
    const z = noise ? st.noiseStd * mlpNoise(st.key, p, i, st.step) : 0;
    optimizerStep(opt, o, st.lr, st.invB * (grad[i] + z), i, W, state);
  }
}
