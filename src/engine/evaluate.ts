// Evaluation on the held-out set: the model's forward pass (gather and MLP) over it, batch by
// batch, then loss and AUC on the CPU. The trainer flushes pending noise before calling it.
import { auc, type LabData } from '../data/synthetic';
import { encode } from '../kernels/program';
import { bce } from '../kernels/loss';
import { paddedIds } from '../kernels/batch-gather';
import { assemble } from './batch';
import type { Layout } from './model';
import type { ModelBuffers } from './buffers';
import type { ResidentData } from './resident-data';
import type { StepGraph } from './step-graph';

export interface EvalContext {
  dev: GPUDevice;
  graph: StepGraph;
  m: ModelBuffers;
  resident?: ResidentData;
  /** the eval set is on the GPU (its batches gathered there), else assembled and uploaded */
  evalOnGpu: boolean;
  layout: Layout;
  B: number;
  upload: (b: GPUBuffer, data: ArrayBufferView) => void;
}

/** The model's logit for every held-out example. */
export async function heldOutScores(x: EvalContext, ds: LabData['eval']): Promise<Float32Array> {
  const { dev, graph, m, B } = x;
  const scores = new Float32Array(ds.n);
  const out = dev.createBuffer({
    size: Math.max(16, ds.n * 4),
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  // the embedding gathers without the training batch's own (the eval batch is gathered or uploaded here)
  const bags = graph.stages.gather.filter((d) => d !== graph.batch.train);
  const gatherEval = x.evalOnGpu ? graph.batch.eval : undefined;
  for (let start = 0; start < ds.n; start += B) {
    const ex = Array.from({ length: Math.min(B, ds.n - start) }, (_, i) => start + i);
    if (gatherEval) x.upload(x.resident!.ids, paddedIds(B, ex));
    else {
      const a = assemble(x.layout, B, ds, ex);
      x.upload(m.dense, a.dense);
      x.upload(m.idx, a.idx);
    }
    const enc = dev.createCommandEncoder();
    const pass = enc.beginComputePass({ label: 'eval' });
    for (const d of [...(gatherEval ? [gatherEval] : []), ...bags, ...graph.stages.mlp_forward]) encode(pass, d);
    pass.end();
    enc.copyBufferToBuffer(m.logits, 0, out, start * 4, ex.length * 4);
    dev.queue.submit([enc.finish()]);
  }
  await out.mapAsync(GPUMapMode.READ);
  scores.set(new Float32Array(out.getMappedRange(), 0, ds.n));
  out.unmap();
  out.destroy();
  return scores;
}

/** Mean binary cross-entropy and AUC of logits against labels. */
export function heldOutMetrics(scores: Float32Array, labels: ArrayLike<number>): { auc: number; loss: number } {
  let loss = 0;
  for (let i = 0; i < scores.length; i++) loss += bce(scores[i], labels[i]);
  return { auc: auc(scores, labels), loss: loss / Math.max(1, scores.length) };
}
