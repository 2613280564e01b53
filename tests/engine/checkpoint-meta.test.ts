// A checkpoint's metadata is what a resumed run's epsilon rests on: metadata that contradicts
// itself (steps, sigma, sampling rate, privacy keys, seed) or sizes that its tensors do not back
// are refused before anything is allocated. CPU only: the files are made by hand.
import { describe, expect, it } from 'vitest';
import { makeConfig, type Config } from '../../src/config/config';
import { encodeSafetensors } from '../../src/engine/safetensors';
import { exportMetadata } from '../../src/engine/export';
import { checkpointShapes, openCheckpoint } from '../../src/engine/checkpoint';
import { resolveSigma } from '../../src/engine/accounting';

const BASE = {
  tables: [20, 10],
  dim: 4,
  pooling: 2,
  batch: 8,
  dense: 3,
  bottom: [6],
  top: [5],
  datasetSize: 64,
  evalSize: 16,
  steps: 10,
  algo: 'dpsgd',
  sigma: 1,
};
const INFO = { vendor: 'test', architecture: '', description: '' };

function meta(c: Config, steps: number, seedFixed = false): Record<string, string> {
  const t = {
    config: c,
    sigma: resolveSigma(c),
    stepsDone: steps,
    seedFixed,
    dataset: { source: 'synthetic' },
    overflowBatches: 0,
    exportShapes: () => [],
    exportStream: async () => {},
  };
  return exportMetadata(t, INFO, null);
}
function fileOf(c: Config, m: Record<string, string>, shapes = checkpointShapes(c)): Uint8Array {
  return encodeSafetensors(
    [...shapes].map(([name, shape]) => ({ name, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) })),
    m,
  );
}
const open = (b: Uint8Array) => openCheckpoint((o, l) => b.subarray(o, o + l), b.length);

describe('checkpoint metadata must agree with itself', () => {
  const c = makeConfig(BASE);
  it('a consistent file opens', async () => {
    const ck = await open(fileOf(c, meta(c, 4)));
    expect(ck.steps).toBe(4);
    expect(ck.sigma).toBe(1);
  });
  const tamper: [string, (m: Record<string, string>) => void, RegExp][] = [
    ['fewer steps than its epsilon spent', (m) => (m.steps = '1'), /epsilon .* after 1 steps/],
    ['another sigma than its config', (m) => (m.sigma = '3'), /sigma 3, its config gives 1/],
    [
      'another sampling rate (batch) in its config',
      (m) => (m.config = JSON.stringify({ ...JSON.parse(m.config), batch: 4 })),
      /epsilon .* after 4 steps/,
    ],
    [
      'another sampling rate (datasetSize) in its config',
      (m) => (m.config = JSON.stringify({ ...JSON.parse(m.config), datasetSize: 640 })),
      /epsilon/,
    ],
    ['a smaller epsilon than spent', (m) => (m.epsilon = '0.001'), /epsilon "0.001"/],
    ['no epsilon', (m) => delete m.epsilon, /epsilon null/],
    ['algo against its config', (m) => (m.algo = 'sgd'), /algo "sgd", its config says dpsgd/],
    ['sampling against its config', (m) => (m.sampling = 'shuffle'), /sampling "shuffle"/],
    ['delta against its config', (m) => (m.delta = '0.1'), /delta "0.1"/],
    ['clip against its config', (m) => (m.clip = '7'), /clip "7"/],
    ['a fixed seed claimed for a random-seed config', (m) => ((m.seed_fixed = 'true'), (m.seed = '5')), /seed "5"/],
    ['more truncated batches than steps', (m) => (m.overflow_batches = '9'), /overflow_batches 9 beyond its 4 steps/],
  ];
  for (const [what, f, re] of tamper) {
    it(`refused: ${what}`, async () => {
      const m = meta(c, 4);
      f(m);
      await expect(open(fileOf(c, m))).rejects.toThrow(/metadata contradicts itself/);
      await expect(open(fileOf(c, m))).rejects.toThrow(re);
    });
  }
  it('a small file whose config asks for huge tables is refused before anything is allocated', async () => {
    const big = makeConfig({ ...BASE, tables: [2_000_000_000, 10], memoryLimit: 4096 });
    // tensors of the small model, metadata of the huge one: 2 KB asking for 32 GB
    const bytes = fileOf(big, meta(big, 4), checkpointShapes(c));
    expect(bytes.length).toBeLessThan(4096);
    await expect(open(bytes)).rejects.toThrow(/tensor tables.0 has shape \[20,4\], its config makes \[2000000000,4\]/);
  });
  it('a missing or extra tensor is refused by name', async () => {
    const shapes = checkpointShapes(c);
    const fewer = new Map(shapes);
    fewer.delete('top.1.bias');
    await expect(open(fileOf(c, meta(c, 4), fewer))).rejects.toThrow(/tensor top.1.bias of its config is missing/);
    const more = new Map(shapes).set('extra', [2]);
    await expect(open(fileOf(c, meta(c, 4), more))).rejects.toThrow(/tensor "extra" is not part of its config's model/);
  });
  it('sigma 0: an infinite epsilon is consistent (and reported as no privacy elsewhere)', async () => {
    const z = makeConfig({ ...BASE, sigma: 0 });
    const m = meta(z, 4);
    expect(m.epsilon).toBe('Infinity');
    expect((await open(fileOf(z, m))).sigma).toBe(0);
  });
});
