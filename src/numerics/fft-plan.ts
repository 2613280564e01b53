// The complex half of the real FFT (src/numerics/real-fft.ts describes the transform): the
// sizes it takes, its tables, and the complex transforms of length M/2 in slot order, built from
// a radix-m pass and the butterfly stages of src/numerics/fft-radix.ts.
import { radix2, radix4, stages24, TW_BITS, TW_MASK } from './fft-radix';

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

/** The tables and complex transforms of length M/2 behind RealFFT (size M). */
export class FftPlan {
  /** real length M */
  readonly size: number;
  /** the odd factor m of M and the power-of-two length p = M / (2m) of the sub-transforms */
  protected readonly m: number;
  protected readonly p: number;
  /** bit reversal of the p indices of a sub-transform: of the low and of the high bits */
  protected readonly revLo: Uint32Array;
  protected readonly revHi: Uint32Array;
  protected readonly loBits: number;
  protected readonly hiBits: number;
  /** e^{2 pi i j/m}, j < m, interleaved, and room for one radix-m column and its transform */
  protected readonly dm: Float64Array;
  protected readonly col: Float64Array;
  protected readonly colOut: Float64Array;
  /** the radix-4 stage lengths in time order, and whether one radix-2 stage (span 8) precedes them */
  protected readonly lens: number[] = [];
  protected readonly radix2: boolean;
  /** e^{2 pi i k/M} as twHi[k >> TW_BITS] twLo[k & TW_MASK] (k <= M/4), interleaved */
  protected readonly twHi: Float64Array;
  protected readonly twLo: Float64Array;
  /** room for one twiddle (twiddleInto) */
  protected readonly root = new Float64Array(2);
  /** e^{2 pi i j/8}, j < 4: the twiddles of the one radix-2 stage (span 8) */
  protected readonly w8: Float64Array;

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
  protected rev(t: number): number {
    return (this.revLo[t & ((1 << this.loBits) - 1)] << this.hiBits) | this.revHi[t >>> this.loBits];
  }

  /**
   * Complex FFT of length n in place, decimated in frequency: a_k <- sum_j a_j e^{sign 2 pi i jk/n}
   * (unnormalised), left in slot order.
   */
  protected forwardComplex(a: Float64Array, sign: 1 | -1): void {
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
  protected inverseComplex(a: Float64Array, sign: 1 | -1): void {
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
}
