// The batch gathered on the GPU from the resident data set (shaders/batch_gather.wgsl) equals the
// CPU-assembled one (`assemble`) bit for bit, for synthetic and Criteo data: a batch shorter than
// the padded B (padding), examples with empty bag slots (INVALID_ROW), repeated example ids, and
// LazyDP's lookahead entry (indices and mask only).
import { describe, it, expect } from 'vitest';
import { kernelTest } from '../helpers/kernels';
import { criteoText } from '../helpers/criteo';
import { assemble, batchGather, batchIndices, paddedIds } from '../../src/kernels/batch-gather';
import { INVALID_ROW } from '../../src/data/format';
import { makeSynthetic, type Dataset } from '../../src/data/synthetic';
import { parseCriteo, CRITEO_TABLES } from '../../src/data/criteo';
import { makeConfig } from '../../src/config/config';

const gpu = kernelTest(77);
const { rng, u32, buffer, empty, run } = gpu;

/** The bits of a typed array (f32 compared as u32: NaN payloads, -0 and subnormals included). */
const bits = (a: Float32Array | Uint32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** The data set's buffers as the trainer uploads them: indices table after table. */
function upload(ds: Dataset) {
  const idx = new Uint32Array(ds.T * ds.n * ds.L);
  ds.idx.forEach((a, t) => idx.set(a, t * ds.n * ds.L));
  return { dataDense: buffer(ds.dense), dataIdx: buffer(idx), dataLabels: buffer(ds.labels) };
}

/** Runs both entries on `ex` and compares every output with `assemble`'s. */
async function check(ds: Dataset, B: number, ex: number[]) {
  const lay = { F: ds.F, L: ds.L, T: ds.T };
  const want = assemble(lay, B, ds, ex);
  const data = upload(ds);
  const ids = buffer(paddedIds(B, ex));
  // outputs start as garbage (the previous batch's bytes): every element must be written
  const junk = (n: number) => buffer(Uint32Array.from({ length: n }, () => 0xdeadbeef));
  const out = { dense: junk(B * ds.F), idx: junk(ds.T * B * ds.L), labels: junk(B), mask: junk(B) };
  const p = { B, T: ds.T, L: ds.L, F: ds.F, n: ds.n };
  run(batchGather(gpu.device, p, { ids, ...data, ...out }));
  expect(await u32(out.idx)).toEqual(want.idx);
  expect(await u32(out.dense)).toEqual(bits(want.dense));
  expect(await u32(out.labels)).toEqual(bits(want.labels));
  expect(await u32(out.mask)).toEqual(bits(want.mask));
  const next = { idx: junk(ds.T * B * ds.L), mask: junk(B) };
  run(batchIndices(gpu.device, p, { ids, dataIdx: data.dataIdx, ...next }));
  expect(await u32(next.idx)).toEqual(want.idx);
  expect(await u32(next.mask)).toEqual(bits(want.mask));
  return want;
}

describe('batch gather from the resident data set', () => {
  it('synthetic: a short batch with repeats and empty bag slots equals assemble', async () => {
    const c = makeConfig({ tables: [50, 20, 7], pooling: 3, dense: 5, datasetSize: 90, evalSize: 10, batch: 8 });
    const ds = makeSynthetic(c).train;
    // example 4: every slot of table 1 empty, one of table 0; example 9: a subnormal, -0 and a
    // NaN with a payload among its features (a copy keeps bits no float operation would)
    ds.idx[1].fill(INVALID_ROW, 4 * 3, 5 * 3);
    ds.idx[0][4 * 3 + 1] = INVALID_ROW;
    bits(ds.dense).set([0x00000005, 0x80000000, 0x7fc01234], 9 * 5);
    const B = 23;
    const ex = [4, 9, 4, 0, 89, 9, 17, 4, ...Array.from({ length: 9 }, () => Math.floor(rng.next() * 90))];
    const want = await check(ds, B, ex);
    expect(want.mask.reduce((a, b) => a + b, 0)).toBe(ex.length); // 6 padding slots
    expect(want.idx.includes(INVALID_ROW)).toBe(true);
  });

  it('Criteo: 26 tables of one index, missing categories and a batch of one', async () => {
    const d = parseCriteo(criteoText(300, 9), new Array(CRITEO_TABLES).fill(5000), 40);
    const ds = d.train;
    // examples with a missing category (an empty bag) are in the batch
    const empty = Array.from({ length: ds.n }, (_, e) => e).filter((e) => ds.idx.some((a) => a[e] === INVALID_ROW));
    expect(empty.length).toBeGreaterThan(0);
    const ex = [empty[0], 3, 3, ds.n - 1, ...empty.slice(1, 6), 3, ...Array.from({ length: 20 }, (_, i) => i * 11)];
    await check(ds, 40, ex);
    await check(ds, 40, [7]);
    await check(
      d.eval,
      16,
      Array.from({ length: d.eval.n > 16 ? 16 : d.eval.n }, (_, i) => i),
    );
  });

  it('an empty batch is all padding; ids beyond the data set are padding, never read', async () => {
    const c = makeConfig({ tables: [30], pooling: 2, dense: 3, datasetSize: 40, evalSize: 0, batch: 4 });
    const ds = makeSynthetic(c).train;
    const want = await check(ds, 12, []);
    expect(want.mask.every((m) => m === 0)).toBe(true);
    // an id past n (the CPU refuses such a batch first) reads nothing: slot 1 comes out as padding
    const data = upload(ds);
    const out = { dense: empty(12 * 3 * 4), idx: empty(12 * 2 * 4), labels: empty(48), mask: empty(48) };
    const ids = buffer(paddedIds(12, [5, 40, 0x7fffffff, 6]));
    run(batchGather(gpu.device, { B: 12, T: 1, L: 2, F: 3, n: 40 }, { ids, ...data, ...out }));
    expect(Array.from(await u32(out.mask)).slice(0, 4)).toEqual([0x3f800000, 0, 0, 0x3f800000]);
    expect(Array.from(await u32(out.idx)).slice(2, 6)).toEqual([INVALID_ROW, INVALID_ROW, INVALID_ROW, INVALID_ROW]);
  });

  it('paddedIds: the batch, then the sentinel; a batch larger than B is refused', () => {
    expect(Array.from(paddedIds(4, [3, 1]))).toEqual([3, 1, INVALID_ROW, INVALID_ROW]);
    expect(() => paddedIds(2, [1, 2, 3])).toThrow(/3 examples does not fit the padded batch of 2/);
  });
});
