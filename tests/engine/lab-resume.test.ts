// The lab's rules for continuing a model file, and the tensor check that runs before the page's
// paused run gives way (CPU only: a checkpoint made by hand from a configuration's shapes).
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/config/config';
import {
  labResumeConfig,
  modelTensorShapes,
  tensorProblem,
  type Checkpoint,
  type TensorEntry,
} from '../../src/engine/checkpoint';

const config = makeConfig({ tables: [64, 32], dim: 4, bottom: [8], top: [8], steps: 10, algo: 'lazydp' });

function checkpoint(edit: (t: TensorEntry[]) => TensorEntry[] = (t) => t, over: Partial<Checkpoint> = {}): Checkpoint {
  let offset = 0;
  const entries = modelTensorShapes(config).map((s) => {
    const bytes = 4 * s.shape.reduce((a, b) => a * b, 1);
    const e = { name: s.name, shape: s.shape, offset, bytes };
    offset += bytes;
    return e;
  });
  const tensors = new Map(edit(entries).map((e) => [e.name, e]));
  return {
    config,
    steps: 3,
    sigma: 1,
    seedFixed: false,
    data: 'synthetic',
    overflowBatches: 0,
    tensors,
    read: () => new Uint8Array(0),
    ...over,
  };
}

describe('continuing a model file in the lab', () => {
  it('every tensor of the model, in export order: tables, then each layer weight and bias', () => {
    // 13 dense features (the default) into the bottom MLP; concat of 3 vectors of 4 into the top
    expect(modelTensorShapes(config).map((t) => `${t.name}:${t.shape}`)).toEqual([
      'tables.0:64,4',
      'tables.1:32,4',
      'bottom.0.weight:8,13',
      'bottom.0.bias:8',
      'bottom.1.weight:4,8',
      'bottom.1.bias:4',
      'top.0.weight:8,12',
      'top.0.bias:8',
      'top.1.weight:1,8',
      'top.1.bias:1',
    ]);
  });

  it('a missing tensor, another shape or a byte count that does not match is named', () => {
    expect(tensorProblem(checkpoint(), config)).toBeUndefined();
    expect(
      tensorProblem(
        checkpoint((t) => t.filter((e) => e.name !== 'top.1.bias')),
        config,
      )?.message,
    ).toBe('checkpoint: tensor top.1.bias is missing');
    const cut = checkpoint((t) => t.map((e) => (e.name === 'tables.1' ? { ...e, shape: [16, 4], bytes: 256 } : e)));
    expect(tensorProblem(cut, config)?.message).toBe('checkpoint: tables.1 has shape [16,4], this model needs [32,4]');
    const short = checkpoint((t) => t.map((e) => (e.name === 'tables.0' ? { ...e, bytes: e.bytes - 4 } : e)));
    expect(tensorProblem(short, config)?.message).toMatch(/tables\.0 has shape \[64,4\]/);
  });

  it("the file's configuration with this page's memory limit; momentum or Adam continue as SGD, and say so", () => {
    const adam = checkpoint(undefined, {
      config: { ...config, algo: 'dpsgd', tableOptimizer: 'adam', mlpOptimizer: 'momentum', memoryLimit: 64 },
    });
    const r = labResumeConfig(adam, 'm.safetensors', { memoryLimit: 4, data: 'synthetic' });
    expect(r.config).toMatchObject({ memoryLimit: 4, tableOptimizer: 'sgd', mlpOptimizer: 'sgd', algo: 'dpsgd' });
    expect(r.dropped).toEqual(['tableOptimizer adam', 'mlpOptimizer momentum']);
  });

  it('another data source, or a file with no steps left, is refused with the reason', () => {
    expect(() => labResumeConfig(checkpoint(), 'm', { memoryLimit: 4, data: 'criteo' })).toThrow(
      /trained on the synthetic task: choose it under Data first/,
    );
    expect(() =>
      labResumeConfig(checkpoint(undefined, { data: 'criteo' }), 'm', { memoryLimit: 4, data: 'synthetic' }),
    ).toThrow(/trained on a Criteo file/);
    expect(() =>
      labResumeConfig(checkpoint(undefined, { steps: 10 }), 'm', { memoryLimit: 4, data: 'synthetic' }),
    ).toThrow(/has finished its 10 steps/);
  });
});
