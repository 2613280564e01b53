// A checkpoint's weights and accountant are checked on load, and an export never hands out the
// model of a destroyed trainer: NaN or infinity in a tensor is refused naming it (the CLI's
// --resume and the lab's "Open model…" both open files through openCheckpoint), metadata whose
// accountant is not its configuration's is refused, and a trainer destroyed during an export
// makes the export fail rather than read back zeros.
import { describe, expect, it } from 'vitest';
import { makeConfig, type Config } from '../../src/config/config';
import { encodeSafetensors } from '../../src/engine/safetensors';
import { checkpointShapes } from '../../src/engine/checkpoint';
import { Trainer, exportMetadata, writeModelParts } from '../../src/engine';
import { engineTest, openBytes, exportedBytes, SMALL_MODEL } from '../helpers/engine';

const eng = engineTest();

const BASE = {
  ...SMALL_MODEL,
  tables: [20, 10],
  dim: 4,
  pooling: 2,
  batch: 8,
  dense: 3,
  datasetSize: 64,
  evalSize: 16,
  steps: 10,
  algo: 'dpsgd',
};
const INFO = { vendor: 'test', architecture: '', description: '' };

/** A consistent file of `c` at step 4 (all weights 0.5), with `poke` applied to its tensors and metadata. */
function fileOf(
  c: Config,
  poke: (t: Map<string, Float32Array>, m: Record<string, string>) => void = () => undefined,
): Uint8Array {
  const t = {
    config: c,
    sigma: 1,
    stepsDone: 4,
    seedFixed: false,
    dataset: { source: 'synthetic' },
    overflowBatches: 0,
    exportShapes: () => [],
    exportStream: async () => {},
  };
  const meta = exportMetadata(t, INFO, null);
  const shapes = checkpointShapes(c);
  const data = new Map([...shapes].map(([n, s]) => [n, new Float32Array(s.reduce((a, b) => a * b, 1)).fill(0.5)]));
  poke(data, meta);
  return encodeSafetensors(
    [...shapes].map(([name, shape]) => ({ name, shape, data: data.get(name)! })),
    meta,
  );
}

describe('checkpoint weights must be finite', () => {
  const c = makeConfig(BASE);
  it('a consistent file with finite weights opens', async () => {
    expect((await openBytes(fileOf(c))).steps).toBe(4);
  });
  for (const [name, at, value] of [
    ['tables.1', 17, NaN],
    ['bottom.0.weight', 3, Infinity],
    ['top.1.bias', 0, -Infinity],
  ] as const)
    it(`${value} in ${name} is refused, naming the tensor and the value`, async () => {
      const bytes = fileOf(c, (t) => (t.get(name)![at] = value));
      await expect(openBytes(bytes)).rejects.toThrow(
        new RegExp(
          `checkpoint: tensor ${name.replace('.', '\\.')} holds ${value} \\(value ${at}\\).*cannot be continued`,
        ),
      );
    });
});

describe('checkpoint accountant', () => {
  it('metadata naming another accountant than its configuration is refused; without the key the config decides', async () => {
    const c = makeConfig({ ...BASE, accountant: 'prv' });
    await expect(openBytes(fileOf(c, (_, m) => (m.accountant = 'rdp')))).rejects.toThrow(
      /metadata contradicts itself: accountant "rdp", its config says prv/,
    );
    expect((await openBytes(fileOf(c, (_, m) => delete m.accountant))).config.accountant).toBe('prv');
  });
});

describe('a trainer destroyed during an export', () => {
  it('makes the export fail: no piece of zeros is handed out as the model', async () => {
    const c = makeConfig({ ...BASE, seed: '5', steps: 3 });
    const t = await Trainer.create(eng.device, c);
    await t.run(2);
    const pieces: Uint8Array[] = [];
    const write = (b: Uint8Array) => {
      pieces.push(b.slice());
      if (pieces.length === 2) t.destroy(); // after the header and the first rows of tables.0
    };
    // 32-byte pieces: tables.0 alone takes 10 of them, so most of the model is read after destroy
    const done = writeModelParts(t, exportMetadata(t, INFO, null), write, 32);
    await expect(done).rejects.toThrow(/trainer was destroyed while its model was read: refused/);
    expect(pieces.length).toBe(2);
    // the piece read before destroy holds the real (non-zero) weights
    expect(new Float32Array(pieces[1].slice().buffer).some((v) => v !== 0)).toBe(true);
    // and a trainer destroyed before an export refuses it outright
    await expect(t.exportTensors()).rejects.toThrow(/destroyed/);
  });

  it('a trainer left alive exports in full (the same check passes)', async () => {
    const t = await Trainer.create(eng.device, makeConfig({ ...BASE, seed: '5', steps: 3 }));
    await t.run(1);
    const bytes = await exportedBytes(t);
    expect((await openBytes(bytes)).steps).toBe(1);
    t.destroy();
  });
});
