// The PRV accountant's FFT: transforms of real sequences of length M = 2 m 2^a (m = 1, 3 or 5,
// so the mesh is padded by at most a third rather than up to double), each done by one complex
// FFT of length M/2 on Float64Arrays: m radix-4 (radix-2 where the count of stages is odd) FFTs
// of length 2^a over the interleaved subsequences, then one radix-m pass. One table
// e^{2 pi i k / M} (k <= M/4; the rest of the half circle is a quarter turn of it) serves the
// butterflies and the real pre/post-processing; it is built by rotation, exact every 64 entries,
// so building it costs a small part of a transform (fft.js computes a cos and a sin per entry, as
// much as a transform of that size).
// Memory is kept small on purpose: the first write to a fresh page costs more than the transform's
// arithmetic on it (measured here: ~60 ms in node and ~100 ms in Chromium per fresh 16 MiB), so
// the transforms work in the caller's arrays (the output array is the work buffer) and the
// bit reversal uses two tables of sqrt(M) entries instead of one of M/2.

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

export class RealFFT {
  /** real length M */
  readonly size: number;
  /** e^{2 pi i k / M} for k <= M/4, interleaved (cos, sin) */
  readonly tw: Float64Array;
  /** the odd factor m of M and the power-of-two length p = M / (2m) of the sub-transforms */
  private readonly m: number;
  private readonly p: number;
  /** bit reversal of the p indices of a sub-transform: of the low and of the high bits */
  private readonly revLo: Uint32Array;
  private readonly revHi: Uint32Array;
  private readonly loBits: number;
  private readonly hiBits: number;
  /** e^{2 pi i j/m}, j < m, interleaved, and room for one radix-m column */
  private readonly dm: Float64Array;
  private readonly col: Float64Array;

  constructor(size: number) {
    if (!fftSizeOk(size)) throw new RangeError(`FFT size must be 2^k, 3 2^k or 5 2^k and >= 8 m (got ${size})`);
    this.size = size;
    const half = size / 2,
      quarter = size / 4;
    const tw = new Float64Array(2 * quarter + 2);
    const a1 = (2 * Math.PI) / size;
    const c1 = Math.cos(a1),
      s1 = Math.sin(a1);
    for (let k = 0; k <= quarter; k++) {
      if ((k & 63) === 0) {
        tw[2 * k] = Math.cos(a1 * k);
        tw[2 * k + 1] = Math.sin(a1 * k);
      } else {
        const c = tw[2 * k - 2],
          s = tw[2 * k - 1];
        tw[2 * k] = c * c1 - s * s1;
        tw[2 * k + 1] = c * s1 + s * c1;
      }
    }
    this.tw = tw;
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
  }

  /**
   * Complex FFT of length n = M/2 (interleaved), out = sum_j inp_j e^{sign 2 pi i jk/n}
   * (sign -1 forward, +1 inverse, unnormalised). out must not be inp. With n = m p: the
   * transforms Y_r of the subsequences inp[m j + r] (length p) go to out[r p ..], then
   * out[k + p s] = sum_r e^{sign 2 pi i rk/n} Y_r[k] e^{sign 2 pi i rs/m}, in place.
   */
  private complex(inp: Float64Array, out: Float64Array, sign: 1 | -1): void {
    for (let r = 0; r < this.m; r++) this.pow2(inp, out, sign, r);
    if (this.m > 1) this.radixM(out, sign);
  }

  private radixM(out: Float64Array, sign: 1 | -1): void {
    const { m, p, tw, dm, col } = this;
    const M = this.size,
      halfM = M / 2,
      quarter = M / 4;
    for (let k = 0; k < p; k++) {
      // the column Y_r[k] twiddled by e^{sign 2 pi i rk/n} = table entry 2rk (mod M, by symmetry)
      col[0] = out[2 * k];
      col[1] = out[2 * k + 1];
      for (let r = 1; r < m; r++) {
        let e = 2 * r * k,
          neg = 1;
        if (e >= halfM) {
          e -= halfM;
          neg = -1;
        }
        // past a quarter turn: e^{2 pi i e/M} = i e^{2 pi i (e - M/4)/M}
        const c = neg * (e <= quarter ? tw[2 * e] : -tw[2 * (e - quarter) + 1]),
          sn = neg * sign * (e <= quarter ? tw[2 * e + 1] : tw[2 * (e - quarter)]);
        const yr = out[2 * (k + r * p)],
          yi = out[2 * (k + r * p) + 1];
        col[2 * r] = yr * c - yi * sn;
        col[2 * r + 1] = yr * sn + yi * c;
      }
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
        out[2 * (k + s * p)] = re;
        out[2 * (k + s * p) + 1] = im;
      }
    }
  }

  /** The length-p transform of inp[m j + r] (j < p) into out[r p ..] (complex indices). */
  private pow2(inp: Float64Array, out: Float64Array, sign: 1 | -1, r: number): void {
    const { m, p: n, revLo, revHi, loBits, hiBits, tw } = this;
    const base = 2 * r * n;
    const loMask = (1 << loBits) - 1,
      top = n >>> 1, // the reversal of 1, then of 2
      next = n >>> 2;
    // bit-reversed copy fused with the first two radix-2 stages (twiddles 1 and -+i)
    for (let i = 0; i < n; i += 4) {
      // i + 1, i + 2 and i + 3 differ from i in its two low bits: the top two of the reversal
      const ri = (revLo[i & loMask] << hiBits) | revHi[i >>> loBits];
      const p0 = 2 * (m * ri + r),
        p1 = 2 * (m * (ri | top) + r),
        p2 = 2 * (m * (ri | next) + r),
        p3 = 2 * (m * (ri | top | next) + r);
      const x0r = inp[p0],
        x0i = inp[p0 + 1],
        x1r = inp[p1],
        x1i = inp[p1 + 1],
        x2r = inp[p2],
        x2i = inp[p2 + 1],
        x3r = inp[p3],
        x3i = inp[p3 + 1];
      const a0r = x0r + x1r,
        a0i = x0i + x1i,
        a1r = x0r - x1r,
        a1i = x0i - x1i,
        a2r = x2r + x3r,
        a2i = x2i + x3i,
        a3r = x2r - x3r,
        a3i = x2i - x3i;
      // w a3 with w = e^{sign i pi / 2} = sign i
      const br = -sign * a3i,
        bi = sign * a3r;
      const o = base + 2 * i;
      out[o] = a0r + a2r;
      out[o + 1] = a0i + a2i;
      out[o + 2] = a1r + br;
      out[o + 3] = a1i + bi;
      out[o + 4] = a0r - a2r;
      out[o + 5] = a0i - a2i;
      out[o + 6] = a1r - br;
      out[o + 7] = a1i - bi;
    }
    // then radix-2 stages of span len (len/2 butterflies each), two at a time: spans L and 2L
    // on the four points b + j + {0, L/2, L, 3L/2} (j < L/2) with W1 = w_L^j = W2², W2 = w_2L^j,
    // and the second of the span-2L pairs twiddled by w_2L^(j + L/2) = sign i W2.
    const M = this.size,
      Q = M / 2, // the table's quarter turn, in doubles
      end = base + 2 * n;
    let len = 8;
    if (Math.log2(n) % 2 === 1) {
      // an odd number of stages left: one radix-2 stage first
      if (len <= n) {
        const h2 = len,
          step = (2 * M) / len;
        for (let i = base; i < end; i += 2 * len) {
          for (let j = 0, t = 0; j < h2; j += 2, t += step) {
            // past a quarter turn, i times the entry a quarter turn back: (-sin, cos)
            const wr = t <= Q ? tw[t] : -tw[t - Q + 1],
              wi = sign * (t <= Q ? tw[t + 1] : tw[t - Q]);
            const p = i + j,
              q = p + h2;
            const xr = out[q],
              xi = out[q + 1];
            const tr = xr * wr - xi * wi,
              ti = xr * wi + xi * wr;
            const ar = out[p],
              ai = out[p + 1];
            out[p] = ar + tr;
            out[p + 1] = ai + ti;
            out[q] = ar - tr;
            out[q + 1] = ai - ti;
          }
        }
      }
      len *= 2;
    }
    for (; len <= n; len *= 4) {
      const h = len, // L/2 points, in doubles
        s1 = (2 * M) / len, // table step of W1 = w_L^j (interleaved)
        s2 = M / len; // of W2 = w_2L^j
      for (let b = base; b < end; b += 4 * len) {
        for (let j = 0, t1 = 0, t2 = 0; j < h; j += 2, t1 += s1, t2 += s2) {
          const w1r = t1 <= Q ? tw[t1] : -tw[t1 - Q + 1],
            w1i = sign * (t1 <= Q ? tw[t1 + 1] : tw[t1 - Q]),
            w2r = tw[t2],
            w2i = sign * tw[t2 + 1];
          const pa = b + j,
            pb = pa + h,
            pc = pb + h,
            pd = pc + h;
          const ar = out[pa],
            ai = out[pa + 1],
            br0 = out[pb],
            bi0 = out[pb + 1],
            cr = out[pc],
            ci = out[pc + 1],
            dr0 = out[pd],
            di0 = out[pd + 1];
          // span L: (a, b) and (c, d) with W1
          const tbr = br0 * w1r - bi0 * w1i,
            tbi = br0 * w1i + bi0 * w1r,
            tdr = dr0 * w1r - di0 * w1i,
            tdi = dr0 * w1i + di0 * w1r;
          const a1r = ar + tbr,
            a1i = ai + tbi,
            b1r = ar - tbr,
            b1i = ai - tbi,
            c1r = cr + tdr,
            c1i = ci + tdi,
            d1r = cr - tdr,
            d1i = ci - tdi;
          // span 2L: (a, c) with W2, (b, d) with sign i W2
          const tcr = c1r * w2r - c1i * w2i,
            tci = c1r * w2i + c1i * w2r;
          const ur = d1r * w2r - d1i * w2i,
            ui = d1r * w2i + d1i * w2r;
          const vr = -sign * ui,
            vi = sign * ur;
          out[pa] = a1r + tcr;
          out[pa + 1] = a1i + tci;
          out[pc] = a1r - tcr;
          out[pc + 1] = a1i - tci;
          out[pb] = b1r + vr;
          out[pb + 1] = b1i + vi;
          out[pd] = b1r - vr;
          out[pd + 1] = b1i - vi;
        }
      }
    }
  }

  /**
   * X[0..M/2] (interleaved, length M + 2) of the real sequence x (length M): with
   * z[n] = x[2n] + i x[2n+1] and Z its transform,
   * X[k] = (Z[k] + conj Z[M/2-k]) / 2 - i e^{-2 pi i k/M} (Z[k] - conj Z[M/2-k]) / 2.
   * Z is computed into X, then X[k] and X[M/2-k] are made from Z[k] and Z[M/2-k] in place.
   */
  forward(x: Float64Array, X: Float64Array): void {
    if (X.length < this.size + 2 || x.length < this.size || x === X)
      throw new RangeError('forward: x needs M values and X (another array) M + 2');
    const half = this.size / 2,
      tw = this.tw;
    this.complex(x, X, -1); // x read as interleaved complex
    // X[k] from Z[k1] and conj Z[k2], times the twiddle (c, sn) = e^{-2 pi i k/M}
    const out = (k: number, ar: number, ai: number, br: number, bi: number, c: number, sn: number) => {
      const er = (ar + br) / 2,
        ei = (ai + bi) / 2; // transform of the even samples
      const dr = (ar - br) / 2,
        di = (ai - bi) / 2; // i times the transform of the odd samples
      X[2 * k] = er + (c * di + sn * dr);
      X[2 * k + 1] = ei + (sn * di - c * dr);
    };
    // k = 0 and k = M/2 both come from Z[0]
    const z0r = X[0],
      z0i = X[1];
    out(0, z0r, z0i, z0r, -z0i, 1, -0);
    out(half, z0r, z0i, z0r, -z0i, -1, 0);
    for (let k = 1; 2 * k <= half; k++) {
      const j = half - k;
      const ar = X[2 * k],
        ai = X[2 * k + 1],
        br = X[2 * j],
        bi = X[2 * j + 1];
      const c = tw[2 * k],
        s = tw[2 * k + 1];
      out(k, ar, ai, br, -bi, c, -s);
      // e^{-2 pi i (M/2-k)/M} = -e^{2 pi i k/M}
      if (j !== k) out(j, br, bi, ar, -ai, -c, -s);
    }
  }

  /**
   * The real sequence x (length M) whose transform has first half X[0..M/2], normalised (1/M):
   * with E, O the transforms of the even and odd samples, E[k] = (X[k] + conj X[M/2-k]) / 2,
   * O[k] = (X[k] - conj X[M/2-k]) e^{2 pi i k/M} / 2, and the inverse of E + iO has x[2n] in its
   * real part and x[2n+1] in its imaginary part. X is overwritten (E + iO is made in it).
   */
  inverse(X: Float64Array, x: Float64Array): void {
    if (X.length < this.size + 2 || x.length < this.size || x === X)
      throw new RangeError('inverse: X needs M + 2 values and x (another array) M');
    const half = this.size / 2,
      tw = this.tw;
    const scale = 1 / half; // the half-length inverse times its own 1/(M/2)
    // Z[k] from X[k] and conj X[M/2-k], with the twiddle (c, s) = e^{2 pi i k/M}
    const out = (k: number, ar: number, ai: number, br: number, bi: number, c: number, s: number) => {
      const er = (ar + br) / 2,
        ei = (ai + bi) / 2;
      const dr = (ar - br) / 2,
        di = (ai - bi) / 2;
      const or = dr * c - di * s,
        oi = dr * s + di * c;
      X[2 * k] = (er - oi) * scale;
      X[2 * k + 1] = (ei + or) * scale;
    };
    out(0, X[0], X[1], X[2 * half], -X[2 * half + 1], 1, 0);
    for (let k = 1; 2 * k <= half; k++) {
      const j = half - k;
      const ar = X[2 * k],
        ai = X[2 * k + 1],
        br = X[2 * j],
        bi = X[2 * j + 1];
      const c = tw[2 * k],
        s = tw[2 * k + 1];
      out(k, ar, ai, br, -bi, c, s);
      // e^{2 pi i (M/2-k)/M} = -e^{-2 pi i k/M}
      if (j !== k) out(j, br, bi, ar, -ai, -c, s);
    }
    this.complex(X, x, 1);
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
