// Every table packed into one buffer (src/engine/memory.ts packTables, lib/spans.wgsl): one
// dispatch of gather, row update, eager noise and LazyDP's lookahead and flush for all tables
// must give each table bit for bit what the same kernel gives it in a buffer of its own (those
// one-table forms are checked against the TypeScript references in the other kernel tests), and
// must leave the padding rows between tables alone.
import { describe, it, expect } from 'vitest';
import { kernelTest } from '../helpers/kernels';
import { gather, gatherSpans } from '../../src/kernels/gather';
import { rowsUpdate, rowsUpdateSpans } from '../../src/kernels/segsum';
import { sortPairs } from '../../src/kernels/sort';
import { tableNoiseFused, lazyLookahead, lazyFlush, lrSquaredPrefix } from '../../src/kernels/noise';
import { bufferRange, type Span } from '../../src/kernels/program';
import { PACK_ROWS } from '../../src/engine/memory';
import type { StepValues } from '../../src/kernels/step';
import { seedToKey } from '../../src/noise/philox';
import { INVALID_ROW } from '../../src/data/format';

const gpu = kernelTest(4321);
const { rng, randn, f32, u32, empty, runAll, stepUniform, buffer } = gpu;
const key = seedToKey('98765');
const PAD = 7777;

/** Tables packed at multiples of PACK_ROWS, padding rows set to PAD; and each table alone. */
function tables(rows: number[], D: number) {
  const spans: Span[] = [];
  let total = 0;
  for (const [t, R] of rows.entries()) {
    spans.push({ table: t, base: total, rowStart: 0, rows: R });
    total += Math.ceil(R / PACK_ROWS) * PACK_ROWS;
  }
  const packed = new Float32Array(total * D).fill(PAD);
  const own = rows.map((R) => randn(R * D));
  own.forEach((E, t) => packed.set(E, spans[t].base * D));
  return { spans, total, packed, own };
}

/** Each table's rows out of the packed values, and whether every padding value is still PAD. */
function unpack(v: Float32Array, spans: Span[], D: number) {
  const parts = spans.map((s) => Array.from(v.subarray(s.base * D, (s.base + s.rows) * D)));
  const inSpan = new Set<number>();
  for (const s of spans) for (let i = s.base * D; i < (s.base + s.rows) * D; i++) inSpan.add(i);
  const padOk = Array.from(v).every((x, i) => inSpan.has(i) || x === PAD);
  return { parts, padOk };
}

describe('every table packed in one buffer, one dispatch for all', () => {
  const rows = [50, 7, 130];
  const T = rows.length;
  const L = 3,
    B = 24,
    N = 512;
  const idx = Uint32Array.from({ length: T * B * L }, (_, i) => {
    const R = rows[Math.floor(i / (B * L))];
    return rng.next() < 0.1 ? INVALID_ROW : Math.floor(rng.next() ** 2 * R);
  });
  const mask = Float32Array.from({ length: B }, (_, b) => (b < 20 ? 1 : 0));
  /** Every table's (row, example) pairs sorted in one buffer as the step sorts them: the keys. */
  function sorted(idxBuf: GPUBuffer, maskBuf: GPUBuffer): GPUBuffer {
    const keys = empty(T * N * 4),
      vals = empty(T * N * 4);
    runAll(
      sortPairs(
        gpu.device,
        { n: N, used: B * L, L, rows, offIdx: 0, strideIdx: B * L },
        { idx: idxBuf, mask: maskBuf, keys, vals },
      ),
    );
    return keys;
  }

  for (const D of [8, 6]) {
    it(`D ${D}: gather, row update and eager noise equal each table on its own; padding untouched`, async () => {
      const { spans, packed, own } = tables(rows, D);
      const idxBuf = buffer(idx),
        maskBuf = buffer(mask);
      const keys = sorted(idxBuf, maskBuf);
      const rowGradData = randn(T * N * D);
      const rowGrad = buffer(rowGradData);
      const st = stepUniform({ step: 4, lr: 0.3, invB: 1 / 16, noiseStd: 2, key });
      // gather: all tables into their columns of V
      const FW = (T + 1) * D;
      const Vp = empty(B * FW * 4),
        Vs = empty(B * FW * 4);
      const E = buffer(packed);
      const gp = { B, L, D, offIdx: 0, strideIdx: B * L, offOut: D, strideOut: D, ldOut: FW, accumulate: 0 };
      runAll([gatherSpans(gpu.device, gp, spans, { E, idx: idxBuf, outV: Vp })]);
      const sep = own.map((x) => buffer(x));
      runAll(
        rows.map((R, t) =>
          gather(
            gpu.device,
            { B, L, D, rows: R, offIdx: t * B * L, offOut: (t + 1) * D, ldOut: FW, rowStart: 0, accumulate: 0 },
            { E: sep[t], idx: idxBuf, outV: Vs },
          ),
        ),
      );
      expect(Array.from(await f32(Vp))).toEqual(Array.from(await f32(Vs)));
      // row update and fused noise
      runAll([
        rowsUpdateSpans(gpu.device, { n: N, D }, spans, { st, keys, rowGrad, E }),
        tableNoiseFused(gpu.device, { rows: 0, table: 0, rowStart: 0, D, spans }, { st, E }),
      ]);
      runAll(
        rows.flatMap((R, t) => [
          rowsUpdate(
            gpu.device,
            { n: N, D, rowStart: 0, rows: R },
            {
              st,
              keys: bufferRange(keys, t * N * 4, N * 4),
              rowGrad: bufferRange(rowGrad, t * N * D * 4, N * D * 4),
              E: sep[t],
            },
          ),
          tableNoiseFused(gpu.device, { rows: R, table: t, rowStart: 0, D }, { st, E: sep[t] }),
        ]),
      );
      const got = unpack(await f32(E), spans, D);
      expect(got.padOk).toBe(true);
      for (let t = 0; t < T; t++) {
        const alone = Array.from(await f32(sep[t]));
        expect(got.parts[t], `table ${t}`).toEqual(alone);
        expect(alone).not.toEqual(Array.from(own[t])); // the update and the noise really ran
      }
    });
  }

  for (const exact of [false, true]) {
    it(`LazyDP ${exact ? 'exact' : 'aggregated'}: lookahead and flush of all tables equal each table on its own`, async () => {
      const D = 8,
        steps = 10;
      const { spans, total, packed, own } = tables(rows, D);
      const { prefix } = lrSquaredPrefix(steps, (s) => 0.1 + 0.01 * s);
      const lrs = buffer(Float32Array.from({ length: steps + 1 }, (_, s) => (s ? 0.1 + 0.01 * s : 0)));
      const pre = buffer(prefix);
      const Hp = new Uint32Array(total).fill(PAD);
      const ownH = rows.map((R) => Uint32Array.from({ length: R }, () => Math.floor(rng.next() * 6)));
      ownH.forEach((h, t) => Hp.set(h, spans[t].base));
      const E = buffer(packed),
        H = buffer(Hp);
      const sepE = own.map((x) => buffer(x)),
        sepH = ownH.map((h) => buffer(h));
      const keys = sorted(buffer(idx), buffer(mask));
      const st: StepValues = { step: 7, lr: 0.17, invB: 1 / 16, noiseStd: 1.5, key };
      const st1 = stepUniform(st),
        st2 = stepUniform({ ...st, step: 10 });
      const all = { rows: 0, table: 0, rowStart: 0, D, spans, n: N };
      runAll([lazyLookahead(gpu.device, exact, all, { st: st1, E, H, lrs, lrSqPrefix: pre, keys })]);
      runAll(lazyFlush(gpu.device, exact, all, { st: st2, E, H, lrs, lrSqPrefix: pre }));
      for (let t = 0; t < T; t++) {
        const p = { n: N, rows: rows[t], D, table: t, rowStart: 0 };
        runAll([
          lazyLookahead(gpu.device, exact, p, {
            st: st1,
            E: sepE[t],
            H: sepH[t],
            lrs,
            lrSqPrefix: pre,
            keys: bufferRange(keys, t * N * 4, N * 4),
          }),
        ]);
        runAll(lazyFlush(gpu.device, exact, p, { st: st2, E: sepE[t], H: sepH[t], lrs, lrSqPrefix: pre }));
      }
      const gotE = unpack(await f32(E), spans, D);
      expect(gotE.padOk).toBe(true);
      const hp = await u32(H);
      for (let t = 0; t < T; t++) {
        expect(gotE.parts[t], `table ${t}`).toEqual(Array.from(await f32(sepE[t])));
        expect(Array.from(hp.subarray(spans[t].base, spans[t].base + rows[t]))).toEqual(Array.from(await u32(sepH[t])));
        expect(Array.from(hp.subarray(spans[t].base, spans[t].base + rows[t])).every((h) => h === 10)).toBe(true);
      }
      // history padding untouched
      const inSpan = (i: number) => spans.some((s) => i >= s.base && i < s.base + s.rows);
      expect(Array.from(hp).every((h, i) => inSpan(i) || h === PAD)).toBe(true);
    });
  }
});
