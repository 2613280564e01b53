// The memory estimate counts what the trainer allocates: both read the same plan (plan.ts's
// shardBuffers and stepBuffers), so for DP-FEST's, DP-AdaFEST's and the audit's gradient-canary
// buffers, and for the tables, every buffer the GPU is asked for is in the estimate at its size,
// and the estimate names nothing the trainer does not make.
import { describe, expect, it } from 'vitest';
import { engineTest, SMALL_MODEL } from '../helpers/engine';
import { makeConfig, type Config } from '../../src/config/config';
import { Trainer, estimateMemory } from '../../src/engine';
import { auditConfig, canaryMembership } from '../../src/audit/run';
import { gradientCanarySpec } from '../../src/audit/canary';
import type { CanarySpec } from '../../src/engine/step-graph';

const eng = engineTest();

const BASE = {
  ...SMALL_MODEL,
  tables: [300, 40],
  dim: 4,
  pooling: 2,
  batch: 16,
  dense: 4,
  datasetSize: 128,
  evalSize: 16,
  steps: 2,
  seed: '4242',
  festK: 32,
};

/** The buffers (label, bytes) the GPU was asked for while a trainer of `c` was built. */
async function allocated(c: Config, canaries?: CanarySpec): Promise<Map<string, number>> {
  const dev = eng.device;
  const made = new Map<string, number>();
  const create = dev.createBuffer.bind(dev);
  dev.createBuffer = (d: GPUBufferDescriptor) => {
    made.set(d.label ?? '', (made.get(d.label ?? '') ?? 0) + d.size);
    return create(d);
  };
  try {
    (await Trainer.create(dev, c, { canaries })).destroy();
  } finally {
    delete (dev as { createBuffer?: unknown }).createBuffer; // the prototype's again
  }
  return made;
}

const OWN = /^(fest|canary)\./;

async function compare(c: Config, canaries?: CanarySpec): Promise<string[]> {
  const made = await allocated(c, canaries);
  const est = estimateMemory(c, eng.device.limits, { canaries: canaries?.m });
  expect(est.fits).toBe(true);
  const counted = est.buffers.filter((b) => OWN.test(b.name));
  // every algorithm and audit buffer made is counted, at the size made (pool.make: 16 B at least)
  expect(counted.map((b) => b.name).sort()).toEqual([...made.keys()].filter((l) => OWN.test(l)).sort());
  for (const b of counted) expect(made.get(b.name), b.name).toBe(Math.max(16, b.bytes));
  // the tables (packed in one buffer here, each padded to 64 rows; the audit's canary rows included)
  const tables = est.buffers.filter((b) => /^tables\.\d+$/.test(b.name)).reduce((a, b) => a + b.bytes, 0);
  expect(made.get('tables')).toBe(tables);
  return counted.map((b) => b.name);
}

describe('the memory estimate counts what the trainer allocates', () => {
  it('dp-adafest: the contribution map, the selection and the crossing candidates', async () => {
    const names = await compare(makeConfig({ ...BASE, algo: 'dp-adafest' }));
    expect(names).toEqual(['fest.exNorm', 'fest.csum', 'fest.sel', 'fest.cand', 'fest.crossed']);
  });

  it('dp-adafest in micro-batches: the map of one micro-batch, the counts summed per row, no crossed list', async () => {
    const c = makeConfig({ ...BASE, algo: 'dp-adafest', microBatch: 5 });
    expect(await compare(c)).toEqual(['fest.exNorm', 'fest.csum', 'fest.sel', 'fest.cand']);
    const est = estimateMemory(c, eng.device.limits);
    expect(est.buffers.filter((b) => b.name.startsWith('counts.')).map((b) => b.bytes)).toEqual([300 * 4, 40 * 4]);
    expect(est.buffers.filter((b) => b.name.startsWith('grad.')).map((b) => b.bytes)).toEqual([300 * 16, 40 * 16]);
  });

  it('dp-fest: the selected rows and the masked index copy', async () => {
    const names = await compare(makeConfig({ ...BASE, algo: 'dp-fest' }));
    expect(names).toEqual(['fest.selected', 'fest.idxMasked']);
  });

  it('dp-fest in micro-batches: the masked index copy of one micro-batch, the rows summed in G', async () => {
    const c = makeConfig({ ...BASE, algo: 'dp-fest', microBatch: 5 });
    expect(await compare(c)).toEqual(['fest.selected', 'fest.idxMasked']);
    const est = estimateMemory(c, eng.device.limits);
    expect(est.buffers.find((b) => b.name === 'fest.idxMasked')!.bytes).toBe(2 * 5 * 2 * 4); // T B L u32
    expect(est.buffers.filter((b) => b.name.startsWith('grad.')).map((b) => b.bytes)).toEqual([300 * 16, 40 * 16]);
  });

  it('an audit with gradient canaries: their ids, directions and m rows per table', async () => {
    const base = makeConfig({ ...BASE, algo: 'dpsgd' });
    const member = canaryMembership(7, 24);
    const c = auditConfig(base, member.length, 0);
    const names = await compare(c, gradientCanarySpec(base, 7, member));
    expect(names).toEqual(['canary.ids', 'canary.dirs']);
    // the canaries' rows are the estimate's (the audit's config appends them), their buffers on top
    const est = (canaries?: number) => estimateMemory(c, undefined, { canaries });
    expect(est().buffers.find((b) => b.name === 'tables.0')!.bytes).toBe(Math.ceil(324 / 64) * 64 * 4 * 4);
    expect(est(24).totalBytes - est().totalBytes).toBe(25 * 4 + 2 * 24 * 4 * 4);
  });
});
