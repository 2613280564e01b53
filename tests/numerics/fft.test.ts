// The PRV accountant's real FFT (src/numerics/real-fft.ts) against a plain O(M²) DFT of the same
// sequence (read from the transform's slot order), and the inverse against the sequence it came
// from, both in place and into another array.
import { describe, expect, it } from 'vitest';
import { fftSizeAtLeast, RealFFT, realFFT } from '../../src/numerics/real-fft';

/** X[k] = sum_j x_j e^{-2 pi i jk/M} for k <= M/2, interleaved: the definition, term by term. */
function dft(x: Float64Array): Float64Array {
  const M = x.length;
  const X = new Float64Array(M + 2);
  for (let k = 0; k <= M / 2; k++) {
    let re = 0,
      im = 0;
    for (let j = 0; j < M; j++) {
      const a = (-2 * Math.PI * ((j * k) % M)) / M;
      re += x[j] * Math.cos(a);
      im += x[j] * Math.sin(a);
    }
    X[2 * k] = re;
    X[2 * k + 1] = im;
  }
  return X;
}

// a fixed pseudo-random sequence (xorshift), so a failure reproduces
function sequence(M: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  return Float64Array.from({ length: M }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32 - 0.3;
  });
}

describe('real FFT', () => {
  // 8 and 16: an even and an odd number of radix-2 stages after the fused first two; 24, 40 and
  // up: a radix-3 or radix-5 pass after three or five power-of-two transforms
  for (const M of [8, 16, 32, 64, 512, 2048, 24, 40, 48, 80, 1536, 1280, 2560]) {
    it(`size ${M}: forward equals the DFT, inverse returns the sequence`, () => {
      const x = sequence(M, M);
      const X = new Float64Array(M + 2);
      const f = new RealFFT(M);
      f.forward(x, X);
      const ref = dft(x);
      let scale = 0;
      for (const v of ref) scale = Math.max(scale, Math.abs(v));
      // every frequency has its own slot
      const slots = new Set<number>();
      for (let k = 0; k <= M / 2; k++) {
        const o = f.slot(k);
        slots.add(o);
        expect(Math.abs(X[2 * o] - ref[2 * k])).toBeLessThan(1e-13 * scale);
        expect(Math.abs(X[2 * o + 1] - ref[2 * k + 1])).toBeLessThan(1e-13 * scale);
      }
      expect(slots.size).toBe(M / 2 + 1);
      // X[0] and X[M/2] of a real sequence are real
      expect(f.slot(0)).toBe(0);
      expect(X[1]).toBe(0);
      expect(Math.abs(X[M + 1])).toBeLessThan(1e-13 * scale);
      const y = new Float64Array(M);
      const X0 = X.slice(),
        X2 = X.slice();
      f.inverse(X, y);
      for (let i = 0; i < M; i++) expect(Math.abs(y[i] - x[i])).toBeLessThan(2e-14); // ~log2(M) roundings of values below 1
      // in place: one array of M + 2 holds the sequence, then its transform, then the sequence
      f.inverse(X2, X2);
      for (let i = 0; i < M; i++) expect(X2[i]).toBe(y[i]);
      const Z = new Float64Array(M + 2);
      Z.set(x);
      f.forward(Z, Z);
      for (let i = 0; i < M + 2; i++) expect(Z[i]).toBe(X0[i]);
    });
  }

  it('a large size round-trips, and a point mass transforms to a pure phase', () => {
    const M = 2 ** 16;
    const x = sequence(M, 7);
    const X = new Float64Array(M + 2);
    const f = realFFT(M);
    expect(realFFT(M)).toBe(f); // cached
    f.forward(x, X);
    const y = new Float64Array(M);
    f.inverse(X, y);
    let err = 0;
    for (let i = 0; i < M; i++) err = Math.max(err, Math.abs(y[i] - x[i]));
    expect(err).toBeLessThan(1e-13);
    // delta at index 3: X[k] = e^{-2 pi i 3k/M}
    const d = new Float64Array(M);
    d[3] = 1;
    f.forward(d, X);
    for (const k of [0, 1, 1000, M / 4 + 5, M / 2]) {
      const a = (-2 * Math.PI * 3 * k) / M,
        o = f.slot(k);
      expect(X[2 * o]).toBeCloseTo(Math.cos(a), 13);
      expect(X[2 * o + 1]).toBeCloseTo(Math.sin(a), 13);
    }
  });

  it('refuses sizes it cannot do, and picks the smallest it can', () => {
    for (const M of [12, 4, 20, 56, 1000]) expect(() => new RealFFT(M)).toThrow(/FFT size must be/);
    expect(fftSizeAtLeast(1_299_798)).toBe(5 * 2 ** 18);
    expect(fftSizeAtLeast(1_473_702)).toBe(3 * 2 ** 19);
    expect(fftSizeAtLeast(1_600_000)).toBe(2 ** 21);
    expect(fftSizeAtLeast(9)).toBe(16);
    expect(fftSizeAtLeast(17)).toBe(24);
  });
});
