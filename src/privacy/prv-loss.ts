// One step's privacy loss random variable for the Poisson-subsampled Gaussian mechanism (the PRV
// accountant's building block; src/privacy/prv.ts describes the accountant, src/privacy/prv-mesh.ts
// discretises and composes this distribution):
//   Y = log(1 - q + q exp((2X - 1) / (2 s²))), X ~ (1 - q) N(0, s²) + q N(1, s²).
import { erfcNonNegative } from './rdp';

const SQRT1_2 = Math.SQRT1_2;

/** erfc(|x|)/2 for the tail of N(0, 1) beyond |u| (x = u / sqrt 2): small and accurate. */
function halfErfcAbs(x: number): number {
  return 0.5 * erfcNonNegative(Math.abs(x));
}

/** One step's PRV: the CDF and the survival function, each accurate where it is small. */
export class SubsampledGaussianPrv {
  /** log(1 - q): the loss is never below it */
  readonly tLow: number;
  constructor(
    readonly q: number,
    readonly sigma: number,
  ) {
    this.tLow = q === 1 ? -Infinity : Math.log1p(-q);
  }

  /** The x where the loss equals t (t > tLow). */
  xAt(t: number): number {
    const { q, sigma } = this;
    // exp(t) - 1 + q without cancellation near t = log(1 - q)
    const z = Math.log1p(Math.expm1(t) / q);
    return sigma * sigma * z + 0.5;
  }

  /**
   * [F(t), S(t)] = [P(Y <= t), P(Y > t)]; the smaller of the two is accurate to relative
   * rounding, the other is 1 minus it.
   */
  cdfSf(t: number): [number, number] {
    if (!(t > this.tLow)) return [0, 1];
    if (t === Infinity) return [1, 0];
    const { q, sigma } = this;
    const x = this.xAt(t);
    const a = x / sigma, // component without the example: X ~ N(0, s²)
      b = (x - 1) / sigma; // with it: X ~ N(1, s²)
    const ta = halfErfcAbs(a * SQRT1_2),
      tb = halfErfcAbs(b * SQRT1_2);
    // Phi(u) = tail when u < 0, else 1 - tail
    const phiA = a < 0 ? ta : 1 - ta,
      sfA = a < 0 ? 1 - ta : ta;
    const phiB = b < 0 ? tb : 1 - tb,
      sfB = b < 0 ? 1 - tb : tb;
    return [(1 - q) * phiA + q * phiB, (1 - q) * sfA + q * sfB];
  }

  /** The loss at output x. */
  loss(x: number): number {
    const { q, sigma } = this;
    const a = (2 * x - 1) / (2 * sigma * sigma);
    if (a < 30) return Math.log1p(q * Math.expm1(a));
    return a + Math.log(q) + Math.log1p(((1 - q) / q) * Math.exp(-a));
  }

  /**
   * E[Y; lo < Y <= hi] and P(lo < Y <= hi), by Simpson's rule over each Gaussian component in
   * standard units (the loss is smooth in x, and beyond 40 standard deviations nothing is left).
   */
  truncatedMoments(lo: number, hi: number): { mean: number; mass: number } {
    const { q, sigma } = this;
    const xLo = lo > this.tLow ? this.xAt(lo) : -Infinity;
    const xHi = this.xAt(hi);
    let first = 0,
      mass = 0;
    const comps: [number, number][] =
      q === 1
        ? [[1, 1]]
        : [
            [1 - q, 0],
            [q, 1],
          ];
    for (const [w, m] of comps) {
      const uLo = Math.max(-40, (xLo - m) / sigma),
        uHi = Math.min(40, (xHi - m) / sigma);
      if (!(uHi > uLo)) continue;
      const n = 20000; // even
      const h = (uHi - uLo) / n;
      let s1 = 0,
        s0 = 0;
      for (let i = 0; i <= n; i++) {
        const u = uLo + i * h;
        const wt = (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * Math.exp(-0.5 * u * u);
        s0 += wt;
        s1 += wt * this.loss(m + sigma * u);
      }
      const c = (w * h) / (3 * Math.sqrt(2 * Math.PI));
      first += c * s1;
      mass += c * s0;
    }
    return { mean: first, mass };
  }
}
