// Resuming from an exported model: the same run, interrupted and continued, trains the same model
// (bit for bit where the noise does not depend on when it is drawn), and a configuration that
// would change the model, the data or the accountant's assumptions is refused, naming the key.
import { describe, expect, it } from 'vitest';
import { engineTest, SMALL_MODEL, exportedBytes, openBytes } from '../helpers/engine';
import { maxAbsDiff } from '../helpers/tensors';
import { makeConfig, ConfigError, type Config } from '../../src/config/config';
import { Trainer, exportMetadata, resumeProblem, type NamedTensor, type Checkpoint } from '../../src/engine';

const eng = engineTest();

const BASE = {
  ...SMALL_MODEL,
  tables: [120, 37],
  dim: 6,
  pooling: 3,
  batch: 12,
  dense: 4,
  datasetSize: 128,
  evalSize: 32,
  steps: 12,
  seed: '2718',
  zipf: 0.8,
};
const INFO = { vendor: 'test', architecture: '', description: '' };
const exported = exportedBytes;
const open = openBytes;

async function interrupted(
  over: Record<string, unknown>,
  at: number,
  shardRows?: number,
): Promise<{ resumed: Trainer; whole: Trainer }> {
  const c = makeConfig({ ...BASE, ...over });
  const whole = await Trainer.create(eng.device, c);
  await whole.run(c.steps);
  const first = await Trainer.create(eng.device, c);
  await first.run(at);
  const bytes = await exported(first);
  first.destroy();
  const resumed = await Trainer.create(eng.device, c, { shardRows });
  await resumed.loadCheckpoint(await open(bytes));
  expect(resumed.stepsDone).toBe(at);
  await resumed.run(c.steps);
  return { resumed, whole };
}

describe('resume from an exported model', () => {
  for (const algo of ['sgd', 'dpsgd'] as const) {
    it(`${algo}, fixed seed: 5 steps, export, resume to 12 = 12 steps at once, bit for bit`, async () => {
      const { resumed, whole } = await interrupted({ algo }, 5);
      expect(maxAbsDiff(await resumed.exportTensors(), await whole.exportTensors())).toBe(0);
      expect(resumed.summary().steps).toBe(12);
      // the accountant counts every step, the file's too
      if (algo === 'dpsgd') expect(resumed.summary().epsilon).toBe(whole.summary().epsilon);
      resumed.destroy();
      whole.destroy();
    });
  }

  it('dpsgd resumed on split tables: the same model up to the float order of a split bag sum', async () => {
    const { resumed, whole } = await interrupted({ algo: 'dpsgd' }, 5, 50);
    expect(resumed.shardLayout[0]).toHaveLength(3);
    expect(maxAbsDiff(await resumed.exportTensors(), await whole.exportTensors())).toBeLessThan(1e-5);
    resumed.destroy();
    whole.destroy();
  });

  it('lazydp-exact: the file holds every pending draw, so resuming gives the same model up to float order', async () => {
    const { resumed, whole } = await interrupted({ algo: 'lazydp-exact' }, 7);
    expect(maxAbsDiff(await resumed.exportTensors(), await whole.exportTensors())).toBeLessThan(1e-5);
    expect(Array.from(await resumed.readHistory(0, 0, 120)).every((h) => h === 12)).toBe(true);
    resumed.destroy();
    whole.destroy();
  });

  it('refuses what would change the model, the data or the privacy accounting, naming the key', async () => {
    const c = makeConfig({ ...BASE, algo: 'dpsgd' });
    const t = await Trainer.create(eng.device, c);
    await t.run(4);
    const ck = await open(await exported(t));
    t.destroy();
    expect(ck.steps).toBe(4);
    const key = (over: Partial<Config>, sigma = 1) => resumeProblem(ck, makeConfig({ ...c, ...over }), sigma)?.key;
    expect(key({})).toBeUndefined();
    // every key the model, the data or the accountant depends on, one change at a time, for a
    // synthetic file and for a Criteo file (whose data keys are the file's own, but whose
    // datasetSize still sets q)
    const changed: Partial<Config> = {
      tables: [120, 38],
      dim: 8,
      pooling: 2,
      dense: 5,
      bottom: [9],
      top: [7],
      interaction: 'dot',
      dataSeed: 9,
      zipf: 1.1,
      batch: 16,
      datasetSize: 256,
      sampling: 'shuffle',
      clip: 0.5,
      clipping: 'per-layer',
      delta: 1e-6,
    };
    for (const [k, v] of Object.entries(changed)) expect(key({ [k]: v }), k).toBe(k);
    const criteo: Checkpoint = { ...ck, data: 'criteo' };
    for (const [k, v] of Object.entries(changed)) {
      const got = resumeProblem(criteo, makeConfig({ ...c, [k]: v }), 1)?.key;
      expect(got, `criteo ${k}`).toBe(k === 'dataSeed' || k === 'zipf' ? undefined : k);
    }
    expect(resumeProblem(ck, c, 1, 'criteo')?.key).toBe('data');
    expect(resumeProblem(criteo, c, 1, 'synthetic')?.key).toBe('data');
    expect(key({ algo: 'lazydp' })).toBeUndefined(); // the same noise distribution: allowed
    expect(key({ dim: 8 })).toBe('dim');
    expect(key({ tables: [120, 38] })).toBe('tables');
    expect(key({ dataSeed: 9 })).toBe('dataSeed');
    expect(key({ batch: 16 })).toBe('batch');
    expect(key({ clip: 0.5 })).toBe('clip');
    expect(key({ sampling: 'shuffle' })).toBe('sampling');
    expect(key({}, 1.5)).toBe('sigma');
    expect(key({ algo: 'sgd' })).toBe('algo');
    // another private algorithm whose steps release other mechanisms, or an algorithm's own
    // privacy keys changed: the accountant would count the file's steps at the new values
    expect(key({ algo: 'dp-adafest' })).toBe('algo');
    expect(key({ algo: 'dp-fest' })).toBe('algo');
    const ada = { ...ck, config: makeConfig({ ...c, algo: 'dp-adafest' }) };
    const adaKey = (over: Partial<Config>) =>
      resumeProblem(ada, makeConfig({ ...c, algo: 'dp-adafest', ...over }), 1)?.key;
    expect(adaKey({})).toBeUndefined();
    expect(adaKey({ selectionSigma: 4 })).toBe('selectionSigma');
    expect(adaKey({ selectionClip: 2 })).toBe('selectionClip');
    expect(adaKey({ threshold: 2 })).toBe('threshold');
    const fest = { ...ck, config: makeConfig({ ...c, algo: 'dp-fest' }) };
    const festKey = (over: Partial<Config>) =>
      resumeProblem(fest, makeConfig({ ...c, algo: 'dp-fest', ...over }), 1)?.key;
    expect(festKey({})).toBeUndefined();
    expect(festKey({ festHistogramSigma: 9 })).toBe('festHistogramSigma');
    expect(festKey({ festBound: 1 })).toBe('festBound');
    expect(festKey({ algo: 'dpsgd' })).toBe('algo');
    expect(key({ seed: 'random' })).toBe('seed'); // the first steps' noise is known: never relabel it private
    expect(key({ steps: 4 })).toBe('steps');
    expect(key({ tableOptimizer: 'adam' })).toBe('tableOptimizer');
    expect(key({ mlpOptimizer: 'momentum' })).toBe('mlpOptimizer');
    // and the trainer applies the same rules
    const other = await Trainer.create(eng.device, makeConfig({ ...c, batch: 16 }));
    await expect(other.loadCheckpoint(ck)).rejects.toBeInstanceOf(ConfigError);
    other.destroy();
  });

  it('lazydp: right after loading, every row has its noise to the file step, so a flush adds nothing', async () => {
    const c = makeConfig({ ...BASE, algo: 'lazydp' });
    const first = await Trainer.create(eng.device, c);
    await first.run(5);
    const ck = await open(await exported(first));
    first.destroy();
    const t = await Trainer.create(eng.device, c, { shardRows: 50 });
    await t.loadCheckpoint(ck);
    expect(Array.from(await t.readHistory(0, 0, 120)).every((h) => h === 5)).toBe(true);
    const raw = new Float32Array(await t['readSpan'](0, 'E', 6, 0, 120));
    expect(Array.from(await t.readRows(0, 0, 120))).toEqual(Array.from(raw)); // readRows flushed first
    const file = ck.tensors.get('tables.0')!;
    expect(Array.from(raw)).toEqual(
      Array.from(new Float32Array((await ck.read(file.offset, file.bytes)).slice().buffer)),
    );
    t.destroy();
  });

  it('a random-seed file resumes with a fresh random seed: still private, never the same draws twice', async () => {
    const c = makeConfig({ ...BASE, algo: 'dpsgd', seed: 'random' });
    const first = await Trainer.create(eng.device, c);
    await first.run(4);
    const bytes = await exported(first);
    first.destroy();
    const runs: NamedTensor[][] = [];
    for (let i = 0; i < 2; i++) {
      const t = await Trainer.create(eng.device, c);
      await t.loadCheckpoint(await open(bytes));
      expect(t.seedFixed).toBe(false);
      // an export right after loading (no summary yet) still states the file's epsilon
      const meta = exportMetadata(t, INFO, null);
      expect(meta.epsilon).toBe(JSON.parse(JSON.stringify(exportMetadata(t, INFO, t.summary()))).epsilon);
      expect(Number(meta.epsilon)).toBeGreaterThan(0);
      expect(meta.seed).toBe('random');
      expect(meta.epsilon_guaranteed).toBe('true');
      await t.run(c.steps);
      runs.push(await t.exportTensors());
      t.destroy();
    }
    expect(maxAbsDiff(runs[0], runs[1])).toBeGreaterThan(1e-4);
    // a fixed seed after a random-seed file is allowed, and labelled not private
    const fixed = await Trainer.create(eng.device, makeConfig({ ...c, seed: '5', accountant: 'rdp' }));
    await fixed.loadCheckpoint(await open(bytes));
    expect(exportMetadata(fixed, INFO, null).accounting).toBe('rdp-poisson-not-guaranteed');
    fixed.destroy();
  });

  it('a file trained with Adam resumes as plain SGD (the state is not in the file); weight decay alone resumes', async () => {
    const c = makeConfig({ ...BASE, algo: 'dpsgd', tableOptimizer: 'adam', lr: 0.01 });
    const first = await Trainer.create(eng.device, c);
    await first.run(3);
    const ck = await open(await exported(first));
    first.destroy();
    expect(resumeProblem(ck, c, 1)?.key).toBe('tableOptimizer');
    for (const over of [{ tableOptimizer: 'sgd' }, { tableOptimizer: 'sgd', weightDecay: 0.01 }] as const) {
      const t = await Trainer.create(eng.device, makeConfig({ ...c, ...over }));
      await t.loadCheckpoint(ck);
      await t.run(c.steps);
      expect(t.stepsDone).toBe(c.steps);
      t.destroy();
    }
  });

  it('a non-private file cannot start a private run; a bad file is a clear error', async () => {
    const t = await Trainer.create(eng.device, makeConfig({ ...BASE, algo: 'sgd' }));
    await t.run(3);
    const bytes = await exported(t);
    t.destroy();
    const ck: Checkpoint = await open(bytes);
    expect(resumeProblem(ck, makeConfig({ ...BASE, algo: 'dpsgd' }), 1)?.message).toMatch(/not private/);
    await expect(open(bytes.subarray(0, 40))).rejects.toThrow(/checkpoint/);
    const junk = new Uint8Array(64);
    new DataView(junk.buffer).setBigUint64(0, 2n, true);
    junk.set(new TextEncoder().encode('{}'), 8);
    await expect(open(junk)).rejects.toThrow(/not a model exported by this lab/);
  });
});
