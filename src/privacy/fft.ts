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
/** Whether M is a size RealFFT takes: 2 m 2^a with m in {1, 3, 5} and 2^a >= 4. */
export function fftSizeOk(M: number): boolean {
  if (!Number.isInteger(M)) return false;
  for (const m of [1, 3, 5]) {
    const p = M / (2 * m);
    if (Number.isInteger(p) && p >= 4 && (p & (p - 1)) === 0) return true;
  }
  return false;
}

/** The smallest size RealFFT takes that is >= n. */
export function fftSizeAtLeast(n: number): number {
  let best = Infinity;
  for (const m of [1, 3, 5]) {
    let M = 8 * m;
    while (M < n) M *= 2;
    best = Math.min(best, M);
  }
  return best;
}

/** The pairs pass takes its twiddles as products of two small tables, split at this bit. */
const TW_BITS = 10,
  TW_MASK = (1 << TW_BITS) - 1;

export class RealFFT {
  /** real length M */
  readonly size: number;
  /** the odd factor m of M and the power-of-two length p = M / (2m) of the sub-transforms */
  private readonly m: number;
  private readonly p: number;
  /** bit reversal of the p indices of a sub-transform: of the low and of the high bits */
  private readonly revLo: Uint32Array;
  private readonly revHi: Uint32Array;
  private readonly loBits: number;
  private readonly hiBits: number;
  /** e^{2 pi i j/m}, j < m, interleaved, and room for one radix-m column and its transform */
  private readonly dm: Float64Array;
  private readonly col: Float64Array;
  private readonly colOut: Float64Array;
  /** the radix-4 stage lengths in time order, and whether one radix-2 stage (span 8) precedes them */
  private readonly lens: number[] = [];
  private readonly radix2: boolean;
  /** e^{2 pi i k/M} as twHi[k >> TW_BITS] twLo[k & TW_MASK] (k <= M/4), interleaved */
  private readonly twHi: Float64Array;
  private readonly twLo: Float64Array;
  /** room for one twiddle (twiddleInto) */
  private readonly root = new Float64Array(2);
  /** e^{2 pi i j/8}, j < 4: the twiddles of the one radix-2 stage (span 8) */
  private readonly w8: Float64Array;

  constructor(size: number) {
    if (!fftSizeOk(size)) throw new RangeError(`FFT size must be 2^k, 3 2^k or 5 2^k and >= 8 m (got ${size})`);
    this.size = size;
    const half = size / 2,
      quarter = size / 4;
    this.m = half % 5 === 0 ? 5 : half % 3 === 0 ? 3 : 1;
    this.p = half / this.m;
    const bits = Math.log2(this.p);
    this.loBits = bits >> 1;
    this.hiBits = bits - this.loBits;
    const reversal = (b: number) => {
      const r = new Uint32Array(2 ** b);
      for (let i = 1; i < r.length; i++) r[i] = (r[i >> 1] >> 1) | ((i & 1) << (b - 1));
      return r;
    };
    this.revLo = reversal(this.loBits);
    this.revHi = reversal(this.hiBits);
    this.dm = new Float64Array(2 * this.m);
    for (let j = 0; j < this.m; j++) {
      this.dm[2 * j] = Math.cos((2 * Math.PI * j) / this.m);
      this.dm[2 * j + 1] = Math.sin((2 * Math.PI * j) / this.m);
    }
    this.col = new Float64Array(2 * this.m);
    this.colOut = new Float64Array(2 * this.m);
    this.radix2 = bits % 2 === 1;
    for (let len = this.radix2 ? 16 : 8; len <= this.p; len *= 4) this.lens.push(len);
    const a = (2 * Math.PI) / size;
    this.twLo = new Float64Array(2 << TW_BITS);
    for (let k = 0; k <= TW_MASK; k++) {
      this.twLo[2 * k] = Math.cos(a * k);
      this.twLo[2 * k + 1] = Math.sin(a * k);
    }
    this.twHi = new Float64Array(2 * ((quarter >>> TW_BITS) + 1));
    for (let k = 0; 2 * k < this.twHi.length; k++) {
      this.twHi[2 * k] = Math.cos(a * (k << TW_BITS));
      this.twHi[2 * k + 1] = Math.sin(a * (k << TW_BITS));
    }
    this.w8 = new Float64Array(8);
    for (let j = 0; j < 4; j++) {
      this.w8[2 * j] = Math.cos((Math.PI * j) / 4);
      this.w8[2 * j + 1] = Math.sin((Math.PI * j) / 4);
    }
  }

  /** The bit reversal of t < p. */
  private rev(t: number): number {
    return (this.revLo[t & ((1 << this.loBits) - 1)] << this.hiBits) | this.revHi[t >>> this.loBits];
  }

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
   * Complex FFT of length n in place, decimated in frequency: a_k <- sum_j a_j e^{sign 2 pi i jk/n}
   * (unnormalised), left in slot order.
   */
  private forwardComplex(a: Float64Array, sign: 1 | -1): void {
    const { m, p, twHi, twLo, w8, size, lens } = this;
    if (m > 1) this.radixMDif(a, sign);
    for (let r = 0; r < m; r++) {
      const base = 2 * r * p,
        end = base + 2 * p;
      for (let i = lens.length - 1; i >= 0; i--) radix4(a, twHi, twLo, size, base, end, lens[i], sign, true);
      if (this.radix2) radix2(a, w8, base, end, sign, true);
      stages24(a, base, end, sign, true);
    }
  }

  /** Complex FFT of length n in place, decimated in time: from slot order to natural order. */
  private inverseComplex(a: Float64Array, sign: 1 | -1): void {
    const { m, p, twHi, twLo, w8, size, lens } = this;
    for (let r = 0; r < m; r++) {
      const base = 2 * r * p,
        end = base + 2 * p;
      stages24(a, base, end, sign, false);
      if (this.radix2) radix2(a, w8, base, end, sign, false);
      for (const len of lens) radix4(a, twHi, twLo, size, base, end, len, sign, false);
    }
    if (m > 1) this.radixM(a, sign);
  }

  /**
   * e^{2 pi i e/M} for 0 <= e <= M/2, from the two small tables (a full table would be read at
   * random here), into w[0], w[1].
   */
  private twiddleInto(e: number, w: Float64Array): void {
    const { twHi, twLo } = this;
    const quarter = this.size / 4;
    // past a quarter turn: e^{2 pi i e/M} = i e^{2 pi i (e - M/4)/M}
    const rot = e > quarter;
    if (rot) e -= quarter;
    const th = 2 * (e >>> TW_BITS),
      tl = 2 * (e & TW_MASK);
    const c0 = twHi[th] * twLo[tl] - twHi[th + 1] * twLo[tl + 1],
      s0 = twHi[th] * twLo[tl + 1] + twHi[th + 1] * twLo[tl];
    w[0] = rot ? -s0 : c0;
    w[1] = rot ? c0 : s0;
  }

  /** The m-point DFT of col (sign as the transform's) into colOut. */
  private dftM(sign: 1 | -1): void {
    const { m, dm, col, colOut } = this;
    for (let s = 0; s < m; s++) {
      let re = 0,
        im = 0;
      for (let r = 0; r < m; r++) {
        const j = (r * s) % m;
        const c = dm[2 * j],
          sn = sign * dm[2 * j + 1];
        re += col[2 * r] * c - col[2 * r + 1] * sn;
        im += col[2 * r] * sn + col[2 * r + 1] * c;
      }
      colOut[2 * s] = re;
      colOut[2 * s + 1] = im;
    }
  }

  /**
   * The radix-m pass after the blocks' transforms (decimation in time):
   * a[k + p s] = sum_r e^{sign 2 pi i rk/n} Y_r[k] e^{sign 2 pi i rs/m}, Y_r = block r.
   */
  private radixM(a: Float64Array, sign: 1 | -1): void {
    const { m, p, col, colOut, root } = this;
    for (let k = 0; k < p; k++) {
      // the column Y_r[k] twiddled by w^r, w = e^{sign 2 pi i k/n} (entry 2k of the M-table,
      // under a third of a turn as k < p); its powers by multiplication
      this.twiddleInto(2 * k, root);
      const wr = root[0],
        wi = sign * root[1];
      col[0] = a[2 * k];
      col[1] = a[2 * k + 1];
      let pr = 1,
        pi = 0;
      for (let r = 1; r < m; r++) {
        const t = pr * wr - pi * wi;
        pi = pr * wi + pi * wr;
        pr = t;
        const yr = a[2 * (k + r * p)],
          yi = a[2 * (k + r * p) + 1];
        col[2 * r] = yr * pr - yi * pi;
        col[2 * r + 1] = yr * pi + yi * pr;
      }
      this.dftM(sign);
      for (let s = 0; s < m; s++) {
        a[2 * (k + s * p)] = colOut[2 * s];
        a[2 * (k + s * p) + 1] = colOut[2 * s + 1];
      }
    }
  }

  /**
   * The radix-m pass before the blocks' transforms (decimation in frequency): for each k < p,
   * block s gets (sum_r a[k + p r] e^{sign 2 pi i rs/m}) w^s at k, w = e^{sign 2 pi i k/n}.
   */
  private radixMDif(a: Float64Array, sign: 1 | -1): void {
    const { m, p, col, colOut, root } = this;
    for (let k = 0; k < p; k++) {
      for (let r = 0; r < m; r++) {
        col[2 * r] = a[2 * (k + r * p)];
        col[2 * r + 1] = a[2 * (k + r * p) + 1];
      }
      this.dftM(sign);
      this.twiddleInto(2 * k, root);
      const wr = root[0],
        wi = sign * root[1];
      a[2 * k] = colOut[0];
      a[2 * k + 1] = colOut[1];
      let pr = 1,
        pi = 0;
      for (let s = 1; s < m; s++) {
        const t = pr * wr - pi * wi;
        pi = pr * wi + pi * wr;
        pr = t;
        const yr = colOut[2 * s],
          yi = colOut[2 * s + 1];
        a[2 * (k + s * p)] = yr * pr - yi * pi;
        a[2 * (k + s * p) + 1] = yr * pi + yi * pr;
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

// The butterfly stages. Each serves both directions: decimation in time (`dif` false: the
// twiddle multiplies the second input, then sum and difference) and in frequency (`dif` true: sum
// and difference, then the twiddle multiplies the difference). One function for both means one
// function for V8 to optimise, and the inverse transform of a composition starts with the code the
// forward one warmed.

/** The two stages of spans 2 and 4 (twiddles 1 and -+i) over each four points of a[base, end). */
function stages24(a: Float64Array, base: number, end: number, sign: 1 | -1, dif: boolean): void {
  for (let o = base; o < end; o += 8) {
    const x0r = a[o],
      x0i = a[o + 1],
      x1r = a[o + 2],
      x1i = a[o + 3],
      x2r = a[o + 4],
      x2i = a[o + 5],
      x3r = a[o + 6],
      x3i = a[o + 7];
    if (dif) {
      // span 4: (x0, x2) with 1, (x1, x3) with sign i after the difference; then span 2
      const a0r = x0r + x2r,
        a0i = x0i + x2i,
        a2r = x0r - x2r,
        a2i = x0i - x2i,
        a1r = x1r + x3r,
        a1i = x1i + x3i,
        a3r = -sign * (x1i - x3i),
        a3i = sign * (x1r - x3r);
      a[o] = a0r + a1r;
      a[o + 1] = a0i + a1i;
      a[o + 2] = a0r - a1r;
      a[o + 3] = a0i - a1i;
      a[o + 4] = a2r + a3r;
      a[o + 5] = a2i + a3i;
      a[o + 6] = a2r - a3r;
      a[o + 7] = a2i - a3i;
    } else {
      // span 2, then span 4 with w a3, w = e^{sign i pi / 2} = sign i
      const a0r = x0r + x1r,
        a0i = x0i + x1i,
        a1r = x0r - x1r,
        a1i = x0i - x1i,
        a2r = x2r + x3r,
        a2i = x2i + x3i,
        a3r = x2r - x3r,
        a3i = x2i - x3i;
      const br = -sign * a3i,
        bi = sign * a3r;
      a[o] = a0r + a2r;
      a[o + 1] = a0i + a2i;
      a[o + 2] = a1r + br;
      a[o + 3] = a1i + bi;
      a[o + 4] = a0r - a2r;
      a[o + 5] = a0i - a2i;
      a[o + 6] = a1r - br;
      a[o + 7] = a1i - bi;
    }
  }
}

/** The one radix-2 stage, of span 8, over a[base, end), with the twiddles w8. */
function radix2(a: Float64Array, w8: Float64Array, base: number, end: number, sign: 1 | -1, dif: boolean): void {
  const h2 = 8; // half the span, in doubles
  for (let i = base; i < end; i += 16) {
    for (let j = 0; j < h2; j += 2) {
      const wr = w8[j],
        wi = sign * w8[j + 1];
      const p = i + j,
        q = p + h2;
      const ar = a[p],
        ai = a[p + 1],
        xr = a[q],
        xi = a[q + 1];
      if (dif) {
        const dr = ar - xr,
          di = ai - xi;
        a[p] = ar + xr;
        a[p + 1] = ai + xi;
        a[q] = dr * wr - di * wi;
        a[q + 1] = dr * wi + di * wr;
      } else {
        const tr = xr * wr - xi * wi,
          ti = xr * wi + xi * wr;
        a[p] = ar + tr;
        a[p + 1] = ai + ti;
        a[q] = ar - tr;
        a[q + 1] = ai - ti;
      }
    }
  }
}

/**
 * Two radix-2 stages at once over a[base, end), spans L = len and 2L, on the four points
 * b + j + {0, L/2, L, 3L/2} (j < L/2): span L on (a, b) and (c, d) with W1 = w_L^j, span 2L on
 * (a, c) with W2 = w_2L^j and on (b, d) with w_2L^(j + L/2) = sign i W2. In time, span L first;
 * in frequency, span 2L first.
 */
function radix4(
  a: Float64Array,
  twHi: Float64Array,
  twLo: Float64Array,
  M: number,
  base: number,
  end: number,
  len: number,
  sign: 1 | -1,
  dif: boolean,
): void {
  const h = len, // L/2 points, in doubles
    s2 = M / len; // table step of W2 = w_2L^j (interleaved)
  for (let b = base; b < end; b += 4 * len) {
    for (let j = 0, t2 = 0; j < h; j += 2, t2 += s2) {
      // W2 = w_2L^j (under a quarter turn) from the two small tables, W1 = W2²
      const k2 = t2 >>> 1,
        th = 2 * (k2 >>> TW_BITS),
        tl = 2 * (k2 & TW_MASK);
      const hr = twHi[th],
        hi = twHi[th + 1],
        lr = twLo[tl],
        li = twLo[tl + 1];
      const w2r = hr * lr - hi * li,
        w2i = sign * (hr * li + hi * lr);
      const w1r = w2r * w2r - w2i * w2i,
        w1i = 2 * w2r * w2i;
      const pa = b + j,
        pb = pa + h,
        pc = pb + h,
        pd = pc + h;
      const ar = a[pa],
        ai = a[pa + 1],
        br = a[pb],
        bi = a[pb + 1],
        cr = a[pc],
        ci = a[pc + 1],
        dr = a[pd],
        di = a[pd + 1];
      if (dif) {
        // span 2L
        const a1r = ar + cr,
          a1i = ai + ci,
          e0r = ar - cr,
          e0i = ai - ci,
          b1r = br + dr,
          b1i = bi + di,
          f0r = br - dr,
          f0i = bi - di;
        const c1r = e0r * w2r - e0i * w2i,
          c1i = e0r * w2i + e0i * w2r;
        const ur = f0r * w2r - f0i * w2i,
          ui = f0r * w2i + f0i * w2r;
        const d1r = -sign * ui,
          d1i = sign * ur;
        // span L
        const g0r = a1r - b1r,
          g0i = a1i - b1i,
          h0r = c1r - d1r,
          h0i = c1i - d1i;
        a[pa] = a1r + b1r;
        a[pa + 1] = a1i + b1i;
        a[pb] = g0r * w1r - g0i * w1i;
        a[pb + 1] = g0r * w1i + g0i * w1r;
        a[pc] = c1r + d1r;
        a[pc + 1] = c1i + d1i;
        a[pd] = h0r * w1r - h0i * w1i;
        a[pd + 1] = h0r * w1i + h0i * w1r;
      } else {
        // span L
        const tbr = br * w1r - bi * w1i,
          tbi = br * w1i + bi * w1r,
          tdr = dr * w1r - di * w1i,
          tdi = dr * w1i + di * w1r;
        const a1r = ar + tbr,
          a1i = ai + tbi,
          b1r = ar - tbr,
          b1i = ai - tbi,
          c1r = cr + tdr,
          c1i = ci + tdi,
          d1r = cr - tdr,
          d1i = ci - tdi;
        // span 2L
        const tcr = c1r * w2r - c1i * w2i,
          tci = c1r * w2i + c1i * w2r;
        const ur = d1r * w2r - d1i * w2i,
          ui = d1r * w2i + d1i * w2r;
        const vr = -sign * ui,
          vi = sign * ur;
        a[pa] = a1r + tcr;
        a[pa + 1] = a1i + tci;
        a[pc] = a1r - tcr;
        a[pc + 1] = a1i - tci;
        a[pb] = b1r + vr;
        a[pb + 1] = b1i + vi;
        a[pd] = b1r - vr;
        a[pd + 1] = b1i - vi;
      }
    }
  }
}
