// The PRV accountant's FFT: transforms of real sequences of length M = 2 m 2^a (m = 1, 3 or 5,
// so the mesh is padded by at most a third rather than up to double), each done by one complex
// FFT of length n = M/2 on Float64Arrays, in place.
// The forward transform is decimated in frequency: a radix-m pass, then radix-4 (radix-2 where the
// count of stages is odd) transforms of length p = 2^a over m contiguous blocks, leaving the
// spectrum in a scrambled order: frequency k = m k1 + s sits in slot s p + rev(k1) (`slot`). The
// accountant only multiplies spectra point by point, so it never needs them in order; the inverse
// transform is decimated in time and reads that order directly, giving the sequence back in
// order. No bit-reversal pass, and no second array: the first write to a fresh page costs more
// than the transform's arithmetic on it (measured here: ~60 ms in node and ~100 ms in Chromium
// per fresh 16 MiB), so the caller's one array is all the memory a transform touches.
// The twiddles e^{2 pi i k/M} are products of two tables of ~sqrt(M) entries each (k split at bit
// TW_BITS; the radix-4 stages square one twiddle for the other): a full table would be as large
// as a quarter of the mesh, slow to build and fault in, and read at random by the real
// pre/post-processing, while the two small ones stay in cache. Each stage is its own small
// function: V8 optimises a small function that is called again sooner than a long loop in a large
// one, and the first composition in a page runs cold.
import { FftPlan } from './fft-plan';
import { TW_BITS, TW_MASK } from './fft-radix';

export { fftSizeAtLeast, fftSizeOk } from './fft-plan';

export class RealFFT extends FftPlan {
  /** The complex slot (doubles 2 slot, 2 slot + 1) of frequency k <= M/2 in `forward`'s output. */
  slot(k: number): number {
    const half = this.size / 2;
    if (k === half) return half;
    const { m, p } = this;
    const s = k % m;
    return s * p + this.rev((k - s) / m);
  }

  /**
   * Calls visit(a, b, c, s) once for each pair of slots a, b holding frequencies k and M/2 - k
   * (0 < k <= M/4; a = b when k = M/4), with (c, s) = e^{2 pi i k/M}, going through the slots in
   * order so that the spectrum
   * is read in two sequential streams (by frequency, the slots would be read at random). Block 0
   * holds k1 = rev(t) at t: the partner of t (frequency p - k1) is its mirror 3 2^b - 1 - t in its
   * octave [2^b, 2^(b+1)). Block s > 0 pairs with block m - s, position t with p - 1 - t.
   */
  private pairs(visit: (a: number, b: number, c: number, s: number) => void): void {
    const { m, p, twHi, twLo } = this;
    const half = m * p;
    // e^{2 pi i k/M} (k <= M/4: no quarter turn) inline, as in radix4: a call per pair through
    // twiddleInto made a forward and inverse pair ~7% slower (node, 2^21)
    const pair = (a: number, k: number, b: number) => {
      const h = 2 * (k >>> TW_BITS),
        l = 2 * (k & TW_MASK);
      const hr = twHi[h],
        hi = twHi[h + 1],
        lr = twLo[l],
        li = twLo[l + 1];
      visit(a, b, hr * lr - hi * li, hr * li + hi * lr);
    };
    for (let oct = 1; oct < p; oct *= 2) {
      for (let t = oct; 2 * t < 3 * oct; t++) {
        const o2 = 3 * oct - 1 - t,
          k = m * this.rev(t);
        if (2 * k <= half) pair(t, k, o2);
        else pair(o2, half - k, t);
      }
    }
    for (let s = 1; 2 * s < m; s++) {
      for (let t = 0; t < p; t++) {
        const o = s * p + t,
          o2 = (m - s) * p + (p - 1 - t),
          k = m * this.rev(t) + s;
        if (2 * k <= half) pair(o, k, o2);
        else pair(o2, half - k, o);
      }
    }
  }

  /**
   * X[0..M/2] (M/2 + 1 complex values, length M + 2) of the real sequence x (length M), in slot
   * order (X[k] at doubles 2 slot(k), 2 slot(k) + 1; X[M/2] at M, M + 1). With z[n] = x[2n] + i
   * x[2n+1] and Z its transform,
   * X[k] = (Z[k] + conj Z[M/2-k]) / 2 - i e^{-2 pi i k/M} (Z[k] - conj Z[M/2-k]) / 2:
   * Z is computed in X, then X[k] and X[M/2-k] are made from Z[k] and Z[M/2-k] in place.
   * X may be x (then in place); else x is copied into X first.
   */
  forward(x: Float64Array, X: Float64Array): void {
    if (X.length < this.size + 2 || x.length < this.size)
      throw new RangeError('forward: x needs M values and X M + 2 (X may be x, then in place)');
    const half = this.size / 2;
    if (x !== X) X.set(x.subarray(0, this.size));
    this.forwardComplex(X, -1); // x read as interleaved complex
    // X[k] from Z[k1] and conj Z[k2], times the twiddle (c, sn) = e^{-2 pi i k/M}, to slot o
    const out = (o: number, ar: number, ai: number, br: number, bi: number, c: number, sn: number) => {
      const er = (ar + br) / 2,
        ei = (ai + bi) / 2; // transform of the even samples
      const dr = (ar - br) / 2,
        di = (ai - bi) / 2; // i times the transform of the odd samples
      X[2 * o] = er + (c * di + sn * dr);
      X[2 * o + 1] = ei + (sn * di - c * dr);
    };
    // k = 0 and k = M/2 both come from Z[0] (slot 0)
    const z0r = X[0],
      z0i = X[1];
    out(0, z0r, z0i, z0r, -z0i, 1, -0);
    out(half, z0r, z0i, z0r, -z0i, -1, 0);
    this.pairs((sk, sj, c, s) => {
      const ar = X[2 * sk],
        ai = X[2 * sk + 1],
        br = X[2 * sj],
        bi = X[2 * sj + 1];
      out(sk, ar, ai, br, -bi, c, -s);
      // e^{-2 pi i (M/2-k)/M} = -e^{2 pi i k/M}
      if (sj !== sk) out(sj, br, bi, ar, -ai, -c, -s);
    });
  }

  /**
   * The real sequence x (length M) whose transform has first half X[0..M/2] in slot order (as
   * `forward` leaves it), normalised (1/M): with E, O the transforms of the even and odd samples,
   * E[k] = (X[k] + conj X[M/2-k]) / 2, O[k] = (X[k] - conj X[M/2-k]) e^{2 pi i k/M} / 2, and the
   * inverse of E + iO has x[2n] in its real part and x[2n+1] in its imaginary part. The transform
   * runs in X, so X is overwritten; x may be X (then in place), else X[0..M) is copied to it.
   */
  inverse(X: Float64Array, x: Float64Array): void {
    if (X.length < this.size + 2 || x.length < this.size)
      throw new RangeError('inverse: X needs M + 2 values and x M (x may be X, then in place)');
    const half = this.size / 2;
    const scale = 1 / half; // the half-length inverse times its own 1/(M/2)
    // Z[k] from X[k] and conj X[M/2-k], with the twiddle (c, s) = e^{2 pi i k/M}, to slot o
    const out = (o: number, ar: number, ai: number, br: number, bi: number, c: number, s: number) => {
      const er = (ar + br) / 2,
        ei = (ai + bi) / 2;
      const dr = (ar - br) / 2,
        di = (ai - bi) / 2;
      const or = dr * c - di * s,
        oi = dr * s + di * c;
      X[2 * o] = (er - oi) * scale;
      X[2 * o + 1] = (ei + or) * scale;
    };
    out(0, X[0], X[1], X[2 * half], -X[2 * half + 1], 1, 0);
    this.pairs((sk, sj, c, s) => {
      const ar = X[2 * sk],
        ai = X[2 * sk + 1],
        br = X[2 * sj],
        bi = X[2 * sj + 1];
      out(sk, ar, ai, br, -bi, c, s);
      // e^{2 pi i (M/2-k)/M} = -e^{-2 pi i k/M}
      if (sj !== sk) out(sj, br, bi, ar, -ai, -c, s);
    });
    this.inverseComplex(X, 1);
    if (x !== X) x.set(X.subarray(0, this.size));
  }
}

// Building a table costs a fraction of a transform, but the buffers are large: keep the last few.
const cache = new Map<number, RealFFT>();
export function realFFT(size: number): RealFFT {
  let f = cache.get(size);
  if (!f) {
    if (cache.size >= 3) cache.delete(cache.keys().next().value as number);
    f = new RealFFT(size);
    cache.set(size, f);
  }
  return f;
}
