// Which kernels run in which stage of a step, in order, built once per trainer: the step is
// these dispatches replayed with new batch data and a new Step uniform. Each kernel module
// (src/kernels/) owns its bindings, uniforms and grid; this file only wires buffers to them.
import { isPrivate, lrAt, type Config } from '../config/config';
import type { Layout } from './model';
import type { Stage } from './types';
import { denseTableState, isLazy } from './batch';
import { shardE, shardH, type BufferPool, type ModelBuffers } from './buffers';
import { bufferRange, type Dispatch } from '../kernels/program';
import { matmul } from '../kernels/matmul';
import { gather, gatherSpans } from '../kernels/gather';
import { loss, type LossKernel } from '../kernels/loss';
import { reluBackward } from '../kernels/relu';
import { interactionForward, interactionBackward } from '../kernels/interaction';
import { layerNorm, bagNorm, clipFactors } from '../kernels/norms';
import { wgradPartial, wgradReduce, wgradSplit } from '../kernels/wgrad';
import { sortPairs } from '../kernels/sort';
import { segsum, rowsUpdate, rowsUpdateSpans, rowsScatter } from '../kernels/segsum';
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
   * The sort of the current batch's pairs, every table in the same passes; the trainer runs it
   * in `backward` before position `sortAt`, unless LazyDP's lookahead sorted this batch one step
   * earlier: then `reuseSorted` copies those pairs in instead (buffers and bytes).
   */
  sortCurrent: Dispatch[];
  sortAt: number;
  reuseSorted?: { src: GPUBuffer; dst: GPUBuffer; bytes: number }[];
  /**
   * The batch gathered from the resident data set: `train` (the first of the gather stage; absent
   * when the trainer uploads assembled batches) and `eval` (an evaluation batch, run by evaluate)
   */
  batch: { train?: Dispatch; eval?: Dispatch };
}

/**
 * The step for padded batch B and N sorted (row, slot) pairs per table. Stages: gather;
 * mlp_forward; backward (loss, G W, then sortCurrent, and for sgd the gradient sums); clip
 * (norms, factors, clipped sums); noise (unfused samples, LazyDP's lookahead sort); update.
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

  // --- gather: every table in one dispatch when they share a buffer; else per shard (shards
  // after the first add their part of each bag)
  const pk = m.packed;
  if (pk) {
    const p = { B, L, D, offIdx: 0, strideIdx: B * L, offOut: D, strideOut: D, ldOut: FW, accumulate: 0 };
    add(S.gather, gatherSpans(dev, p, pk.spans, { E: pk.E, idx: m.idx, outV: V }));
  } else
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
        add(S.gather, gather(dev, p, { E: shardE(sh, D), idx: m.idx, outV: V }));
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
      offB: lb.offW,
      sBk: 1,
      sBn: l.inDim,
      offC: lb.output.off,
      ldc: lb.output.ld,
      offAux: lb.offb,
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
        offB: lb.offW,
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
      offB: lb.offW,
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
  // One sort for every table: table t's sorted pairs are keys and vals at t*N .. (t+1)*N; the
  // kernels that work on one table's rows bind that range (N*4 bytes: a multiple of 256).
  const sortBufs = (label: string) => ({
    keys: pool.make(T * N * 4, `${label}.keys`),
    vals: pool.make(T * N * 4, `${label}.vals`),
  });
  const sortOf = (idx: GPUBuffer, mask: GPUBuffer, s: { keys: GPUBuffer; vals: GPUBuffer }) =>
    sortPairs(dev, { n: N, used: B * L, L, rows: lay.rows, offIdx: 0, strideIdx: B * L }, { idx, mask, ...s });
  const keysOf = (s: { keys: GPUBuffer }, t: number) => bufferRange(s.keys, t * N * 4, N * 4);
  const cur = sortBufs('sort');
  const sortCurrent = sortOf(m.idx, m.mask, cur);
  pool.ownDispatches(sortCurrent);
  const sortAt = S.backward.length; // after the MLP backward, before sgd's gradient sums

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
    const bagP = {
      B,
      L,
      D,
      rows: lay.rows,
      offIdx: 0,
      strideIdx: B * L,
      offG: D,
      strideG: D,
      ldG: FW,
      offN: lay.layers.length * B,
      strideN: B,
    };
    add(gradStage, bagNorm(dev, bagP, { idx: m.idx, G: dV, norms }));
    if (scaleMode === 1)
      add(
        gradStage,
        clipFactors(dev, { B, groups: lay.groups, clipSq: c.clip * c.clip }, { norms, mask: m.mask, factors }),
      );
  }
  // MLP weight and bias gradients, split over the batch: per layer its chunks' partial sums,
  // then one reduce for every layer in a fixed chunk order (deterministic); one chunk writes the
  // gradients directly.
  const scale = scaleMode === 1 ? factors : scaleMode === 2 ? norms : null;
  const mb = m.mlp;
  const split = wgradSplit(B, mb.size);
  const parts = split.chunks > 1 ? pool.make(split.partialBytes, 'mlp.gradPartials') : mb.grads;
  for (const lb of m.layers) {
    const l = lb.layer;
    const p = {
      M: l.outDim,
      N: l.inDim,
      K: B,
      chunk: split.chunk,
      offG: lb.grad.off,
      ldG: lb.grad.ld,
      offA: lb.input.off,
      ldA: lb.input.ld,
      offScale: scaleMode === 2 ? l.group * B : 0,
      clipSq: clipSqGroup,
      offOut: lb.offW,
      stride: mb.size,
    };
    add(gradStage, wgradPartial(dev, scaleMode, p, { G: lb.grad.buf, A: lb.input.buf, scale, P: parts }));
  }
  if (split.chunks > 1)
    add(gradStage, wgradReduce(dev, { n: mb.size, chunks: split.chunks }, { parts, out: mb.grads }));
  // every table's clipped row sums in one segment sum; table t's at rowGrad t*N*D .. (t+1)*N*D
  const rowGrad = pool.make(T * N * D * 4, 'rowGrad');
  const rowGradOf = (t: number) => bufferRange(rowGrad, t * N * D * 4, N * D * 4);
  const segP = {
    n: N,
    tables: T,
    L,
    D,
    offG: D,
    strideG: D,
    ldG: FW,
    offScale: scaleMode === 2 ? lay.layers.length * B : 0,
    strideScale: scaleMode === 2 ? B : 0,
    clipSq: clipSqGroup,
  };
  add(gradStage, ...segsum(dev, scaleMode, segP, { keys: cur.keys, vals: cur.vals, G: dV, scale, rowGrad }));

  // --- noise (unfused variants; LazyDP's lookahead sort) and update: every MLP tensor in one
  // dispatch each (each tensor keeps its own Philox counters)
  if (noiseMode === 2) add(S.noise, mlpSample(dev, mb.tensors, { st, noiseBuf: mb.noise! }));
  const mlpBufs = { st, grad: mb.grads, W: mb.params, noiseBuf: mb.noise };
  add(
    S.update,
    c.mlpOptimizer === 'sgd'
      ? mlpUpdate(dev, noiseMode, mb.tensors, mlpBufs)
      : mlpOptim(dev, c.mlpOptimizer, noiseMode, mb.tensors, { ...mlpBufs, o: o!, M: mb.M!, V: mb.V }),
  );
  const lazy = isLazy(c);
  let lrs: GPUBuffer | undefined, lrSqPrefix: GPUBuffer | undefined;
  if (lazy) {
    const sched = lrSquaredPrefix(c.steps, (s) => lrAt(c, s));
    lrs = pool.make(sched.lrs.byteLength, 'lrs');
    lrSqPrefix = pool.make(sched.prefix.byteLength, 'lrSqPrefix');
    pool.upload(lrs, sched.lrs);
    pool.upload(lrSqPrefix, sched.prefix);
  }
  // LazyDP: the next batch's pairs, sorted once here for the lookahead, are the next step's own
  const next = lazy ? sortBufs('next') : undefined;
  if (next) add(S.noise, ...sortOf(m.idxNext, m.maskNext, next));
  const eager = c.algo === 'dpsgd';
  const exact = c.algo === 'lazydp-exact';
  const touchedOnly = auditFlaw === 'noise-touched-rows-only'; // AUDIT ONLY
  // Every table in one dispatch where they share a buffer and take the sparse path (no dense
  // optimizer): the row update, eager DP-SGD's fused noise, LazyDP's lookahead and flush.
  const allAtOnce = pk && denseTableState(c) < 0 ? pk : undefined;
  if (allAtOnce) {
    const all = { rows: 0, table: 0, rowStart: 0, D, spans: allAtOnce.spans }; // the spans give the rows
    add(S.update, rowsUpdateSpans(dev, { n: N, D }, all.spans, { st, keys: cur.keys, rowGrad, E: allAtOnce.E }));
    if (eager && noiseMode === 1 && !touchedOnly) add(S.update, tableNoiseFused(dev, all, { st, E: allAtOnce.E }));
    if (next) {
      const bufs = { st, E: allAtOnce.E, H: allAtOnce.H!, lrs: lrs!, lrSqPrefix: lrSqPrefix! };
      add(S.update, lazyLookahead(dev, exact, { ...all, n: N }, { ...bufs, keys: next.keys }));
      add(flush, ...lazyFlush(dev, exact, { ...all, n: N }, bufs));
    }
  }
  m.shards.forEach((shards, t) => {
    shards.forEach((sh, k) => {
      const rp = { n: N, D, rowStart: sh.rowStart, rows: sh.rows };
      const tp = { rows: sh.rows, D, table: t, rowStart: sh.rowStart };
      const E = shardE(sh, D);
      // eager DP-SGD's noise on every row; unfused, it is sampled into a buffer in its own
      // timed pass and added by the update below (the dense optimizer's pass, or `add`)
      let noise: GPUBuffer | undefined;
      if (eager && noiseMode === 2) {
        noise = pool.make(sh.rows * D * 4, `noise.${t}${shards.length > 1 ? `[${k}]` : ''}`);
        add(S.noise, tableNoiseSample(dev, tp, { st, noise }));
      }
      if (sh.G) {
        // dense optimizer (sgd and dpsgd only): scatter the rows' gradients, then one pass over
        // every row that adds the eager noise, the decay and the optimizer step
        add(S.update, rowsScatter(dev, rp, { keys: keysOf(cur, t), rowGrad: rowGradOf(t), G: sh.G }));
        add(
          S.update,
          tableOptim(dev, c.tableOptimizer, noiseMode, tp, {
            st,
            o: o!,
            E,
            G: sh.G,
            noiseBuf: noise,
            M: sh.M,
            V: sh.V,
          }),
        );
        return;
      }
      if (!allAtOnce) add(S.update, rowsUpdate(dev, rp, { st, keys: keysOf(cur, t), rowGrad: rowGradOf(t), E }));
      // AUDIT ONLY, BROKEN on purpose: noise on the batch's rows alone (src/audit/flaws.ts)
      if (eager && noiseMode === 1 && touchedOnly)
        add(S.update, touchedNoise(dev, { ...tp, n: N }, { st, keys: keysOf(cur, t), E }));
      else if (eager && noiseMode === 1 && !allAtOnce) add(S.update, tableNoiseFused(dev, tp, { st, E }));
      if (noise) add(S.update, tableNoiseAdd(dev, tp, { st, E, noiseBuf: noise }));
      if (next && !allAtOnce) {
        const bufs = { st, E, H: shardH(sh), lrs: lrs!, lrSqPrefix: lrSqPrefix! };
        add(S.update, lazyLookahead(dev, exact, { ...tp, n: N }, { ...bufs, keys: keysOf(next, t) }));
        add(flush, ...lazyFlush(dev, exact, { ...tp, n: N }, bufs));
      }
    });
  });
  const reuseSorted = next
    ? [
        { src: next.keys, dst: cur.keys, bytes: T * N * 4 },
        { src: next.vals, dst: cur.vals, bytes: T * N * 4 },
      ]
    : undefined;
  return { stages: S, flush, step, optim, loss: lossK, sortCurrent, sortAt, reuseSorted, batch };
}
