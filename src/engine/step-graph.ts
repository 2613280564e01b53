// Which kernels run in which stage of a step, in order, built once per trainer: the step is
// these dispatches replayed with new batch data and a new Step uniform. Each kernel module
// (src/kernels/) owns its bindings, uniforms and grid; this file only wires buffers to them.
import { isPrivate, lrAt, type Config } from '../config/config';
import type { Layout } from './model';
import type { Stage } from './types';
import { denseTableState, isLazy } from './batch';
import type { BufferPool, ModelBuffers } from './buffers';
import type { Dispatch } from '../kernels/program';
import { matmul } from '../kernels/matmul';
import { gather } from '../kernels/gather';
import { loss, type LossKernel } from '../kernels/loss';
import { reluBackward } from '../kernels/relu';
import { interactionForward, interactionBackward } from '../kernels/interaction';
import { layerNorm, bagNorm, clipFactors } from '../kernels/norms';
import { colsum } from '../kernels/colsum';
import { sortPairs } from '../kernels/sort';
import { segsum, rowsUpdate, rowsScatter } from '../kernels/segsum';
import {
  mlpUpdate,
  mlpOptim,
  mlpSample,
  tableNoiseFused,
  tableNoiseSample,
  tableNoiseAdd,
  lazyLookahead,
  lazyFlush,
  lrSquaredPrefix,
  type NoiseMode,
} from '../kernels/noise';
import { OptimUniform, tableOptim } from '../kernels/optim';
import { StepUniform } from '../kernels/step';
import { batchGather, batchIndices } from '../kernels/batch-gather';
import type { ResidentData } from './resident-data';
// AUDIT ONLY: deliberate flaws for the one-run privacy audit (src/audit/), never in `train`
import { touchedNoise, type AuditFlaw } from '../audit/flaws';

export interface StepGraph {
  /** the dispatches of each timed stage, in order */
  stages: Record<Stage, Dispatch[]>;
  /** LazyDP: every row's pending noise (empty otherwise) */
  flush: Dispatch[];
  /** the per-step values (struct Step), written before each step and each flush */
  step: StepUniform;
  /** the optimizers' hyperparameters and Adam's bias corrections, when a dense optimizer runs */
  optim?: OptimUniform;
  /** the loss kernel, whose ring slot moves every step */
  loss: LossKernel;
  /**
   * The batch gathered from the resident data set: `train` (the first of the gather stage; absent
   * when the trainer uploads assembled batches) and `eval` (an evaluation batch, run by evaluate)
   */
  batch: { train?: Dispatch; eval?: Dispatch };
}

/**
 * The step for padded batch B and N sorted (row, slot) pairs per table. Stages: gather;
 * mlp_forward; backward (loss, G W, the sort of the batch's pairs, and for sgd the gradient
 * sums); clip (norms, factors, clipped sums); noise (unfused samples, LazyDP's lookahead sort);
 * update.
 */
export function buildStepGraph(
  pool: BufferPool,
  c: Config,
  lay: Layout,
  m: ModelBuffers,
  B: number,
  N: number,
  auditFlaw: AuditFlaw = 'none',
  data?: ResidentData,
): StepGraph {
  const dev = pool.dev;
  const { T, D, L, featureWidth: FW, interactionWidth: IW } = lay;
  const priv = isPrivate(c);
  const scaleMode: 0 | 1 | 2 = !priv ? 0 : c.clipping === 'flat' ? 1 : 2;
  const clipSqGroup = (c.clip * c.clip) / lay.groups;
  const noiseMode: NoiseMode = !priv ? 0 : c.noiseKernel === 'fused' ? 1 : 2;
  const S: Record<Stage, Dispatch[]> = { gather: [], mlp_forward: [], backward: [], clip: [], noise: [], update: [] };
  const flush: Dispatch[] = [];
  const add = (stage: Dispatch[], ...ds: Dispatch[]) => {
    pool.ownDispatches(ds);
    stage.push(...ds);
  };

  const step = new StepUniform(dev);
  pool.own(step.buffer);
  const st = step.buffer;
  let optim: OptimUniform | undefined;
  if (denseTableState(c) >= 0 || c.mlpOptimizer !== 'sgd') {
    optim = new OptimUniform(dev, c.weightDecay);
    pool.own(optim.buffer);
  }
  const o = optim?.buffer;
  const { V, dV, Z, dZ, norms, factors } = m;
  const dot = lay.interaction === 'dot';
  const interP = { B, n: T + 1, D, offV: 0, ldV: FW, offZ: 0, ldZ: IW, offDV: 0, ldDV: FW };

  // --- the batch from the resident data set: the step uploaded its example ids only; LazyDP's
  // lookahead batch (its indices and mask) first in the noise stage, before its sort
  const batch: StepGraph['batch'] = {};
  const bp = (n: number) => ({ B, T, L, F: lay.F, n });
  const batchOut = { dense: m.dense, idx: m.idx, labels: m.labels, mask: m.mask };
  if (data?.train) {
    batch.train = batchGather(dev, bp(data.train.n), { ids: data.ids, ...data.train.bufs, ...batchOut });
    add(S.gather, batch.train);
    if (data.idsNext) {
      const p = bp(data.train.n);
      const b = { ids: data.idsNext, dataIdx: data.train.bufs.dataIdx, idx: m.idxNext, mask: m.maskNext };
      add(S.noise, batchIndices(dev, p, b));
    }
  }
  if (data?.eval) {
    batch.eval = batchGather(dev, bp(data.eval.n), { ids: data.ids, ...data.eval.bufs, ...batchOut });
    pool.ownDispatches([batch.eval]);
  }

  // --- gather (shards after the first add their part of each bag)
  m.shards.forEach((shards, t) =>
    shards.forEach((sh, k) => {
      const p = {
        B,
        L,
        D,
        rows: sh.rows,
        offIdx: t * B * L,
        offOut: (t + 1) * D,
        ldOut: FW,
        rowStart: sh.rowStart,
        accumulate: k > 0 ? 1 : 0,
      };
      add(S.gather, gather(dev, p, { E: sh.E, idx: m.idx, outV: V }));
    }),
  );

  // --- mlp_forward: Y = act(X W^T + b)
  for (const lb of m.layers) {
    const l = lb.layer;
    if (dot && l.mlp === 'top' && l.index === 0) add(S.mlp_forward, interactionForward(dev, interP, { V, Z }));
    const shape = {
      M: B,
      N: l.outDim,
      K: l.inDim,
      offA: lb.input.off,
      sAm: lb.input.ld,
      sAk: 1,
      sBk: 1,
      sBn: l.inDim,
      offC: lb.output.off,
      ldc: lb.output.ld,
    };
    add(
      S.mlp_forward,
      matmul(dev, { bias: true, relu: l.relu }, shape, { A: lb.input.buf, Bm: lb.W, C: lb.output.buf, aux: lb.b }),
    );
  }

  // --- backward: loss gradient, then G_{l-1} = (G_l W_l) * relu'(act_{l-1}); sort the batch's pairs.
  const topLast = m.layers[m.layers.length - 1];
  const lossK = loss(
    dev,
    { B },
    { logits: m.logits, labels: m.labels, mask: m.mask, dlogits: topLast.grad.buf, lossOut: m.loss },
  );
  add(S.backward, lossK.dispatch);
  for (let li = m.layers.length - 1; li >= 0; li--) {
    const lb = m.layers[li],
      l = lb.layer;
    if (l.index === 0 && l.mlp === 'bottom') continue; // no gradient w.r.t. the dense input
    if (l.mlp === 'top' && l.index === 0) {
      // into the feature gradient dV (dot: into dZ, then the interaction backward writes dV):
      // pooled gradients (no ReLU) and the bottom output's
      const shape = {
        M: B,
        N: l.inDim,
        K: l.outDim,
        offA: lb.grad.off,
        sAm: lb.grad.ld,
        sAk: 1,
        sBk: l.inDim,
        sBn: 1,
        offC: 0,
        ldc: IW,
      };
      add(S.backward, matmul(dev, {}, shape, { A: lb.grad.buf, Bm: lb.W, C: dZ }));
      if (dot) add(S.backward, interactionBackward(dev, interP, { V, dZ, dV }));
      add(
        S.backward,
        reluBackward(dev, { rows: B, cols: D, offG: 0, ldG: FW, offAct: 0, ldAct: FW }, { G: dV, act: V }),
      );
      continue;
    }
    const prev = m.layers[li - 1];
    const shape = {
      M: B,
      N: l.inDim,
      K: l.outDim,
      offA: lb.grad.off,
      sAm: lb.grad.ld,
      sAk: 1,
      sBk: l.inDim,
      sBn: 1,
      offC: prev.grad.off,
      ldc: prev.grad.ld,
      offAux: prev.output.off,
      ldAux: prev.output.ld,
    };
    add(
      S.backward,
      matmul(dev, { reluMask: true }, shape, { A: lb.grad.buf, Bm: lb.W, C: prev.grad.buf, aux: prev.output.buf }),
    );
  }
  const sortBufs = (label: string) => ({
    keys: pool.make(N * 4, `${label}.keys`),
    vals: pool.make(N * 4, `${label}.vals`),
  });
  const sortOf = (t: number, idx: GPUBuffer, mask: GPUBuffer, s: { keys: GPUBuffer; vals: GPUBuffer }) =>
    sortPairs(dev, { n: N, used: B * L, L, rows: lay.rows[t], offIdx: t * B * L }, { idx, mask, ...s });
  const cur = lay.rows.map((_, t) => sortBufs(`sort${t}`));
  lay.rows.forEach((_, t) => add(S.backward, ...sortOf(t, m.idx, m.mask, cur[t])));

  // --- clip (DP) or gradient sums (sgd): per-example norms, clip factors, A^T diag(c) G.
  const gradStage = priv ? S.clip : S.backward;
  if (priv) {
    for (const lb of m.layers) {
      const l = lb.layer;
      const p = {
        B,
        inDim: l.inDim,
        outDim: l.outDim,
        offA: lb.input.off,
        ldA: lb.input.ld,
        offG: lb.grad.off,
        ldG: lb.grad.ld,
        offN: l.group * B,
      };
      add(gradStage, layerNorm(dev, p, { A: lb.input.buf, G: lb.grad.buf, norms }));
    }
    lay.rows.forEach((R, t) => {
      const p = { B, L, D, rows: R, offIdx: t * B * L, offG: (t + 1) * D, ldG: FW, offN: (lay.layers.length + t) * B };
      add(gradStage, bagNorm(dev, p, { idx: m.idx, G: dV, norms }));
    });
    if (scaleMode === 1)
      add(
        gradStage,
        clipFactors(dev, { B, groups: lay.groups, clipSq: c.clip * c.clip }, { norms, mask: m.mask, factors }),
      );
  }
  const scale = scaleMode === 1 ? factors : scaleMode === 2 ? norms : null;
  for (const lb of m.layers) {
    const l = lb.layer;
    const offScale = scaleMode === 2 ? l.group * B : 0;
    const shape = {
      M: l.outDim,
      N: l.inDim,
      K: B,
      offA: lb.grad.off,
      sAm: 1,
      sAk: lb.grad.ld,
      offB: lb.input.off,
      sBk: lb.input.ld,
      sBn: 1,
      offC: 0,
      ldc: l.inDim,
      offScale,
      clipSq: clipSqGroup,
    };
    add(gradStage, matmul(dev, { scaleMode }, shape, { A: lb.grad.buf, Bm: lb.input.buf, C: lb.gW, scale }));
    const p = { B, N: l.outDim, offG: lb.grad.off, ldG: lb.grad.ld, offScale, clipSq: clipSqGroup };
    add(gradStage, colsum(dev, scaleMode, p, { G: lb.grad.buf, scale, out: lb.gb }));
  }
  const rowGrads = lay.rows.map((_, t) => pool.make(N * D * 4, `rowGrad${t}`));
  lay.rows.forEach((_, t) => {
    const offScale = scaleMode === 2 ? (lay.layers.length + t) * B : 0;
    const p = { n: N, L, D, offG: (t + 1) * D, ldG: FW, offScale, clipSq: clipSqGroup };
    add(
      gradStage,
      ...segsum(dev, scaleMode, p, { keys: cur[t].keys, vals: cur[t].vals, G: dV, scale, rowGrad: rowGrads[t] }),
    );
  });

  // --- noise (unfused variants; LazyDP's lookahead sort) and update
  for (const lb of m.layers) {
    const l = lb.layer;
    const tensors = [
      { p: { n: l.inDim * l.outDim, p: l.param }, W: lb.W, grad: lb.gW, noiseBuf: lb.nW, M: lb.mW, V: lb.vW },
      { p: { n: l.outDim, p: l.param + 1 }, W: lb.b, grad: lb.gb, noiseBuf: lb.nb, M: lb.mb, V: lb.vb },
    ];
    for (const x of tensors) {
      if (noiseMode === 2) add(S.noise, mlpSample(dev, x.p, { st, noiseBuf: x.noiseBuf! }));
      const opt = c.mlpOptimizer;
      const bufs = { st, grad: x.grad, W: x.W, noiseBuf: x.noiseBuf };
      add(
        S.update,
        opt === 'sgd'
          ? mlpUpdate(dev, noiseMode, x.p, bufs)
          : mlpOptim(dev, opt, noiseMode, x.p, { ...bufs, o: o!, M: x.M!, V: x.V }),
      );
    }
  }
  const lazy = isLazy(c);
  let lrs: GPUBuffer | undefined, lrSqPrefix: GPUBuffer | undefined;
  if (lazy) {
    const sched = lrSquaredPrefix(c.steps, (s) => lrAt(c, s));
    lrs = pool.make(sched.lrs.byteLength, 'lrs');
    lrSqPrefix = pool.make(sched.prefix.byteLength, 'lrSqPrefix');
    pool.upload(lrs, sched.lrs);
    pool.upload(lrSqPrefix, sched.prefix);
  }
  m.shards.forEach((shards, t) => {
    const next = lazy ? sortBufs(`next${t}`) : undefined;
    if (next) add(S.noise, ...sortOf(t, m.idxNext, m.maskNext, next));
    shards.forEach((sh, k) => {
      const rp = { n: N, D, rowStart: sh.rowStart, rows: sh.rows };
      const tp = { rows: sh.rows, D, table: t, rowStart: sh.rowStart };
      // eager DP-SGD's noise on every row; unfused, it is sampled into a buffer in its own
      // timed pass and added by the update below (the dense optimizer's pass, or `add`)
      const eager = c.algo === 'dpsgd';
      let noise: GPUBuffer | undefined;
      if (eager && noiseMode === 2) {
        noise = pool.make(sh.rows * D * 4, `noise.${t}${shards.length > 1 ? `[${k}]` : ''}`);
        add(S.noise, tableNoiseSample(dev, tp, { st, noise }));
      }
      if (sh.G) {
        // dense optimizer (sgd and dpsgd only): scatter the rows' gradients, then one pass over
        // every row that adds the eager noise, the decay and the optimizer step
        add(S.update, rowsScatter(dev, rp, { keys: cur[t].keys, rowGrad: rowGrads[t], G: sh.G }));
        add(
          S.update,
          tableOptim(dev, c.tableOptimizer, noiseMode, tp, {
            st,
            o: o!,
            E: sh.E,
            G: sh.G,
            noiseBuf: noise,
            M: sh.M,
            V: sh.V,
          }),
        );
        return;
      }
      add(S.update, rowsUpdate(dev, rp, { st, keys: cur[t].keys, rowGrad: rowGrads[t], E: sh.E }));
      // AUDIT ONLY, BROKEN on purpose: noise on the batch's rows alone (src/audit/flaws.ts)
      if (eager && noiseMode === 1 && auditFlaw === 'noise-touched-rows-only')
        add(S.update, touchedNoise(dev, { ...tp, n: N }, { st, keys: cur[t].keys, E: sh.E }));
      else if (eager && noiseMode === 1) add(S.update, tableNoiseFused(dev, tp, { st, E: sh.E }));
      if (noise) add(S.update, tableNoiseAdd(dev, tp, { st, E: sh.E, noiseBuf: noise }));
      if (next) {
        const exact = c.algo === 'lazydp-exact';
        const bufs = { st, E: sh.E, H: sh.H!, lrs: lrs!, lrSqPrefix: lrSqPrefix! };
        add(S.update, lazyLookahead(dev, exact, { ...tp, n: N }, { ...bufs, keys: next.keys }));
        add(flush, lazyFlush(dev, exact, { ...tp, n: N }, bufs));
      }
    });
  });
  return { stages: S, flush, step, optim, loss: lossK, batch };
}
