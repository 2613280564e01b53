// The PRV accountant's numerics (steps 1 to 3 of the recipe in src/privacy/prv.ts): the safe
// domain from the RDP accountant, truncation of each step's PRV to it, the uniform-mesh
// discretisation with its mean shift, and the FFT self-composition into a ComposedPrv that answers
// eps(delta) and delta(eps) queries.
// The FFT (src/numerics/real-fft.ts) takes sizes 2^k, 3 2^k and 5 2^k, so the mesh is padded to the
// smallest of those and centred on 0; the padding only widens the window that circular
// convolution wraps around.
import { fftSizeAtLeast, fftSizeOk, realFFT } from '../numerics/real-fft';
import { SubsampledGaussianPrv } from './prv-loss';
import { computeRdp, OPACUS_ORDERS, rdpToEpsilon } from './rdp';
import { describePhases, PrvRefusal } from './prv-refusal';

export interface PrvPhase {
  /** Poisson sampling rate */
  q: number;
  /** noise multiplier */
  sigma: number;
  /** number of steps at this (q, sigma) */
  steps: number;
}

export interface PrvEpsilon {
  /** upper bound on epsilon at delta: the number to report */
  epsilon: number;
  /** lower bound on the true epsilon of the composed mechanism */
  lower: number;
  /** central estimate (epsilon of the discretised composition at delta itself) */
  estimate: number;
  delta: number;
  /** the eps_error actually used (larger than asked only when the mesh hit MAX_MESH) */
  epsError: number;
  deltaError: number;
}

/** Largest half-width of the domain: epsilon beyond it is out of the accountant's range. */
export const MAX_DOMAIN = 500;
/** Largest mesh (FFT size): 2^22 doubles per array, ~32 MiB each. */
export const MAX_MESH = 2 ** 22;

export function checkPhase(p: PrvPhase): void {
  if (!(p.q >= 0 && p.q <= 1)) throw new RangeError(`q must be in [0, 1] (got ${p.q})`);
  if (!(p.sigma >= 0)) throw new RangeError(`sigma must be >= 0 (got ${p.sigma})`);
  if (!(Number.isInteger(p.steps) && p.steps >= 0))
    throw new RangeError(`steps must be an integer >= 0 (got ${p.steps})`);
}

/** The discretisation failed (a distribution too narrow for the mesh): no internal detail, what to change. */
function numericsRefusal(p: PrvPhase): PrvRefusal {
  return new PrvRefusal(`the PRV accountant's numerics fail for ${describePhases([p])}`, ['accountant', 'raise-sigma']);
}

/** Mesh points per block of the suffix sums ComposedPrv keeps (one pair of sums per block). */
const BLOCK = 256;

/**
 * The discretised sum of all steps' losses, ready for eps(delta) and delta(eps) queries.
 * delta(t_i) needs the suffix sums d1(i) = sum_{j>=i} p_j and d2(i) = sum_{j>=i} p_j exp(-t_j);
 * they are kept per block of BLOCK points and finished from the masses within the block when
 * asked (a query makes a few dozen), rather than as two more arrays of the mesh's size.
 */
export class ComposedPrv {
  /** the mass at t_i = t0 + i dt is pmf[(i + roll) mod size] (the inverse FFT's order) */
  private readonly pmf: Float64Array;
  private readonly roll: number;
  /** s1[b] = d1(b BLOCK), s2[b] = d2(b BLOCK); entry nb is 0 */
  private readonly s1: Float64Array;
  private readonly s2: Float64Array;
  /** mesh points */
  readonly size: number;

  /** `pmf` (in the rolled order above) is kept, not copied. */
  constructor(
    readonly t0: number,
    readonly dt: number,
    pmf: Float64Array,
    roll: number,
    readonly epsError: number,
    readonly deltaError: number,
  ) {
    const n = pmf.length;
    if (!(Number.isInteger(roll) && roll >= 0 && roll < n)) throw new RangeError(`roll must be in [0, ${n})`);
    this.size = n;
    this.pmf = pmf;
    this.roll = roll;
    const nb = Math.ceil(n / BLOCK);
    this.s1 = new Float64Array(nb + 1);
    this.s2 = new Float64Array(nb + 1);
    for (let b = nb - 1; b >= 0; b--) {
      const [d1, d2] = this.sums(b * BLOCK);
      this.s1[b] = d1;
      this.s2[b] = d2;
    }
  }

  /** [d1(i), d2(i)]: the next block's sums plus the masses from the block's end down to i. */
  private sums(i: number): [number, number] {
    const { pmf, dt, t0 } = this,
      n = this.size;
    const b = Math.floor(i / BLOCK),
      end = Math.min(n, (b + 1) * BLOCK);
    let s1 = this.s1[b + 1],
      s2 = this.s2[b + 1];
    // exp(-t_j) by a running product from the block's last point
    const step = Math.exp(dt);
    let e = Math.exp(-(t0 + (end - 1) * dt));
    let k = end - 1 + this.roll;
    if (k >= n) k -= n;
    for (let j = end - 1; j >= i; j--) {
      const p = pmf[k];
      s1 += p;
      s2 += p * e;
      e *= step;
      k = k === 0 ? n - 1 : k - 1;
    }
    return [s1, s2];
  }

  /** delta(t_i) of the discrete sum: sum_{j>i} p_j (1 - exp(t_i - t_j)); non-increasing in i. */
  private deltaAt(i: number): number {
    if (i >= this.size) return 0;
    const [d1, d2] = this.sums(i);
    return d1 - Math.exp(this.t0 + i * this.dt) * d2;
  }

  /** Exact epsilon of the discrete sum at `delta` (the smallest eps with delta(eps) <= delta). */
  discreteEpsilon(delta: number): number {
    const n = this.size;
    // binary search for the first mesh point whose delta is <= target
    let lo = 0,
      hi = n; // deltaAt(n) = 0 <= delta
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.deltaAt(mid) <= delta) hi = mid;
      else lo = mid + 1;
    }
    if (lo === 0)
      throw new PrvRefusal(
        'the PRV accountant cannot resolve an epsilon this small (its delta is met below the domain it computes on)',
        ['accountant'],
      );
    if (lo === n) return this.t0 + (n - 1) * this.dt; // only rounding noise beyond the mesh
    // between t_{lo-1} and t_lo: delta(eps) = d1(lo) - exp(eps) d2(lo)
    const [d1, d2] = this.sums(lo);
    return Math.log((d1 - delta) / d2);
  }

  /** Bounds on epsilon at `delta` (Theorem 5.5 of the paper). */
  epsilon(delta: number): PrvEpsilon {
    if (!(delta > 0 && delta < 1)) throw new RangeError(`delta must be in (0, 1) (got ${delta})`);
    if (!(delta > this.deltaError))
      throw new RangeError(
        `delta ${delta} must exceed the delta error ${this.deltaError} this composition was made for`,
      );
    if (Number.EPSILON * this.size > delta - this.deltaError)
      throw new PrvRefusal(
        `delta ${delta} is too small for the PRV accountant over this many steps (float64 rounding would dominate it)`,
        ['accountant', 'raise-delta', 'fewer-steps'],
      );
    const { epsError, deltaError } = this;
    const upper = this.discreteEpsilon(delta - deltaError) + epsError;
    const estimate = this.discreteEpsilon(delta);
    const lower = this.discreteEpsilon(delta + deltaError) - epsError;
    return {
      epsilon: Math.max(0, upper),
      lower: Math.max(0, lower),
      estimate: Math.max(0, estimate),
      delta,
      epsError,
      deltaError,
    };
  }

  /** Central estimate of delta at `eps` (of the discrete sum). */
  deltaEstimate(eps: number): number {
    // sum over t_j >= eps of p_j (1 - exp(eps - t_j)) = d1(i) - exp(eps) d2(i), i the first such j
    const n = this.size,
      { t0, dt } = this;
    let i = Math.min(n, Math.max(0, Math.ceil((eps - t0) / dt)));
    while (i > 0 && t0 + (i - 1) * dt >= eps) i--;
    while (i < n && t0 + i * dt < eps) i++;
    if (i === n) return 0;
    const [d1, d2] = this.sums(i);
    return d1 - Math.exp(eps) * d2;
  }
}

/** Safe domain half-width L (Remark 5.6), as in the paper's code and Opacus. */
function safeDomain(
  rdp1: number[][],
  steps: readonly number[],
  epsError: number,
  deltaError: number,
  share = 1,
): number {
  const total = steps.reduce((a, n) => a + n, 0);
  const rdp = new Array<number>(OPACUS_ORDERS.length).fill(0);
  let L = 0;
  rdp1.forEach((one, j) => {
    if (steps[j] === 0) return;
    for (let i = 0; i < rdp.length; i++) rdp[i] += one[i] * steps[j];
    L = Math.max(L, rdpToEpsilon(OPACUS_ORDERS, one, (share * deltaError) / (8 * total)).epsilon);
  });
  L = Math.max(L, rdpToEpsilon(OPACUS_ORDERS, rdp, (share * deltaError) / 4).epsilon);
  return Math.max(L, epsError) + 3;
}

interface DiscretePhase {
  /** the first half X[0..M/2] of the mesh PMF's transform, interleaved (re, im) */
  X: Float64Array;
  /** continuous minus discrete mean of one step */
  shift: number;
}

/**
 * A factor of the spectrum below this in squared modulus (1e-100 in modulus) is set to 0 in the
 * power: what it adds to any mesh point is far below the float64 rounding of the inverse
 * transform, and stopping there keeps the squarings out of subnormal numbers (slow on CPUs).
 */
const NEGLIGIBLE2 = 1e-200;

/** The plan's inputs, refused with what to change before any work. */
function checkPlanInputs(phases: readonly PrvPhase[], epsError: number, deltaError: number): void {
  if (!(epsError > 0 && epsError < 1)) throw new RangeError(`epsError must be in (0, 1) (got ${epsError})`);
  if (!(deltaError > 0 && deltaError < 1)) throw new RangeError(`deltaError must be in (0, 1) (got ${deltaError})`);
  if (phases.length === 0) throw new RangeError('no phase to compose');
  for (const p of phases) {
    if (p.q === 0 || p.steps === 0)
      throw new RangeError('a phase with q = 0 or no steps releases nothing: leave it out');
    if (p.sigma === 0) throw new RangeError('sigma = 0 adds no noise: epsilon is infinite');
  }
}

/** The mesh of a plan: bins t = k dt, |k| <= K, padded to an FFT size M, t_i = (i - M/2) dt. */
interface Mesh {
  dt: number;
  K: number;
  M: number;
  /** the total steps, over all phases */
  total: number;
  /** the eps_error the mesh reaches (larger than asked only when the mesh hit MAX_MESH) */
  epsError: number;
}

/** The safe domain (refused beyond MAX_DOMAIN) and the mesh fine enough for `epsError`. */
function planMesh(phases: readonly PrvPhase[], rdp1: number[][], epsError: number, deltaError: number): Mesh {
  const total = phases.reduce((a, p) => a + p.steps, 0);
  const L = safeDomain(
    rdp1,
    phases.map((p) => p.steps),
    epsError,
    deltaError,
  );
  // exp(-t) over the mesh must stay finite (and an epsilon of hundreds protects nothing)
  if (!(L <= MAX_DOMAIN))
    throw new PrvRefusal(
      `sigma is too small for the PRV accountant: ${describePhases(phases)} gives an RDP bound of ${L.toPrecision(4)} ` +
        `on its domain (at most ${MAX_DOMAIN})`,
      ['accountant', 'raise-sigma', 'fewer-steps'],
    );
  let dt = epsError / Math.sqrt((total * Math.log(12 / deltaError)) / 2);
  let K = Math.ceil(L / dt);
  if (2 * K + 2 > MAX_MESH) {
    // A coarser mesh keeps the bound valid with a proportionally larger eps_error.
    dt = L / (MAX_MESH / 2 - 1);
    epsError = dt * Math.sqrt((total * Math.log(12 / deltaError)) / 2);
    K = Math.ceil(L / dt);
  }
  return { dt, K, M: fftSizeAtLeast(2 * K + 2), total, epsError };
}

/**
 * Truncation: to [-L, L] as the paper (bins -K .. K), and further where the PRV's own tail mass is
 * below `cut` (the tails are known exactly here): the far tails then cost no evaluations. Returns
 * the first and last bins kept; bin k's upper edge is `edge(k)`.
 */
function keptBins(prv: SubsampledGaussianPrv, K: number, edge: (k: number) => number, cut: number) {
  let kLo = -K,
    kHi = K;
  if (prv.cdfSf(edge(-K))[0] < cut) {
    // the first bin whose upper edge has F >= cut (F is non-decreasing)
    let a = -K,
      b = K;
    while (a < b) {
      const m = Math.floor((a + b) / 2);
      if (prv.cdfSf(edge(m))[0] >= cut) b = m;
      else a = m + 1;
    }
    kLo = a;
  }
  if (prv.cdfSf(edge(K - 1))[1] < cut) {
    // the first bin whose lower edge has S < cut: it and the ones above are cut off
    let a = kLo,
      b = K;
    while (a < b) {
      const m = Math.floor((a + b) / 2);
      if (prv.cdfSf(edge(m - 1))[1] < cut) b = m;
      else a = m + 1;
    }
    kHi = Math.max(kLo, a - 1);
  }
  return { kLo, kHi };
}

/** One phase's step PRV on the mesh: its PMF, truncated and shifted, then transformed in place. */
function discretise(p: PrvPhase, mesh: Mesh, deltaError: number): DiscretePhase {
  const { dt, K, M, total } = mesh;
  const half = M / 2;
  const prv = new SubsampledGaussianPrv(p.q, p.sigma);
  // cut: a millionth of the delta_error / (8 N) per step that the safe domain allows
  const cut = (1e-6 * deltaError) / (8 * total);
  const edge = (k: number) => (k + 0.5) * dt; // upper edge of bin k
  const { kLo, kHi } = keptBins(prv, K, edge, cut);
  const lo = edge(kLo - 1),
    hi = edge(kHi);
  // the PMF, then (in place) the first half of its transform
  const pmf = new Float64Array(M + 2);
  // bin k has edges (k -+ 1/2) dt; masses from F where it is small, else from S
  let [fPrev, sPrev] = prv.cdfSf(lo);
  let mass = 0;
  for (let k = kLo; k <= kHi; k++) {
    const [f, s] = prv.cdfSf((k + 0.5) * dt);
    const m = f <= 0.5 ? f - fPrev : sPrev <= 0.5 ? sPrev - s : 1 - fPrev - s;
    pmf[k + half] = m;
    mass += m;
    fPrev = f;
    sPrev = s;
  }
  if (!(mass > 0)) throw numericsRefusal(p);
  // truncation: renormalise, and match the continuous truncated mean (the paper's shift)
  let meanD = 0;
  for (let k = kLo; k <= kHi; k++) {
    pmf[k + half] /= mass;
    meanD += k * dt * pmf[k + half];
  }
  const mom = prv.truncatedMoments(lo, hi);
  const shift = mom.mean / mom.mass - meanD;
  if (!(Math.abs(shift) < dt / 2)) throw numericsRefusal(p);
  // the transform of a real sequence is Hermitian: the first half is all there is to keep
  realFFT(M).forward(pmf, pmf);
  return { X: pmf, shift };
}

/**
 * One run's steps discretised once (domain and mesh sized for the largest step counts), so that
 * the composition for fewer steps costs only a power, an inverse FFT and a scan: the safe domain
 * of N steps contains that of n <= N, and the mesh for N is finer than the one for n needs,
 * so the error bounds hold for every n up to the counts given here.
 */
export class PrvPlan {
  readonly phases: PrvPhase[];
  readonly epsError: number;
  readonly deltaError: number;
  readonly dt: number;
  /** FFT size (2^k, 3 2^k or 5 2^k); mesh points t_i = (i - M/2) dt */
  readonly size: number;
  private readonly disc: DiscretePhase[] = [];
  /**
   * Fresh memory is slow to first write (see src/numerics/real-fft.ts), so the plan allocates few
   * mesh-sized arrays: one per phase, discretised into and transformed in place, and one per
   * composition (which the ComposedPrv keeps) for the power and its inverse transform. A plan
   * made `once` composes a single time, in the first phase's array itself.
   */
  private readonly once: boolean;
  private composed = false;
  /** one step's RDP per phase, at Opacus' orders (sizes the domains) */
  private readonly rdp1: number[][];

  /**
   * `phases`: each (q, sigma) with the most steps it will be composed for. Every phase needs
   * q > 0, sigma > 0 and steps >= 1. `once`: compose will be called once (saves a mesh-sized
   * array: the power is taken in place).
   */
  constructor(phases: readonly PrvPhase[], opts: { epsError?: number; deltaError: number; once?: boolean }) {
    phases.forEach(checkPhase);
    this.once = opts.once ?? false;
    const epsError = opts.epsError ?? 0.01,
      deltaError = opts.deltaError;
    checkPlanInputs(phases, epsError, deltaError);
    this.phases = phases.map((p) => ({ ...p }));
    this.rdp1 = this.phases.map((p) => computeRdp(p.q, p.sigma, 1, OPACUS_ORDERS));
    const mesh = planMesh(this.phases, this.rdp1, epsError, deltaError);
    this.epsError = mesh.epsError;
    this.deltaError = deltaError;
    this.dt = mesh.dt;
    this.size = mesh.M;
    for (const p of this.phases) this.disc.push(discretise(p, mesh, deltaError));
  }

  /** The sum of `steps[j]` steps of phase j (default: the counts the plan was made for). */
  compose(steps: readonly number[] = this.phases.map((p) => p.steps)): ComposedPrv {
    if (steps.length !== this.phases.length)
      throw new RangeError(`expected ${this.phases.length} step counts (got ${steps.length})`);
    steps.forEach((n, j) => {
      if (!(Number.isInteger(n) && n >= 0 && n <= this.phases[j].steps))
        throw new RangeError(`steps of phase ${j} must be an integer in [0, ${this.phases[j].steps}] (got ${n})`);
    });
    const total = steps.reduce((a, n) => a + n, 0);
    if (total === 0) throw new RangeError('nothing to compose (0 steps)');
    if (this.once && this.composed) throw new Error('this PRV plan was made to compose once');
    this.composed = true;
    // Fewer steps than planned: the sum lives in a narrower window. Its size comes from the same
    // bounds as the safe domain at half the delta shares, so the tail of the sum beyond it and
    // each step's mass beyond it (folded back by the circular convolution) stay within the
    // error the full domain allows. Reading every r-th frequency is the transform of the
    // sequence folded to that window.
    let M = this.size;
    if (steps.some((n, j) => n !== this.phases[j].steps)) {
      const Ln = safeDomain(this.rdp1, steps, this.epsError, this.deltaError, 0.5);
      const need = 2 * Math.ceil(Ln / this.dt) + 2;
      while (M / 2 >= need && fftSizeOk(M / 2)) M /= 2;
    }
    const r = this.size / M,
      half = M / 2;
    // The product over phases of the n_j-th powers of the first half of the spectrum X[0..M/2]
    // (every r-th frequency of the plan's), each power by repeated squaring: about log2(n)
    // complex products a point, where a polar power costs a log, an atan2, an exp, a cos and a
    // sin; its rounding (relative, ~n 1e-16) is that of the polar form.
    // A factor whose n-th power is below 1e-100 in modulus (|X|² below 1e-200^(1/n)) makes the
    // product negligible (the others are at most 1): for long runs that is most frequencies,
    // settled by one comparison.
    const thr = steps.map((n) => (n > 0 ? NEGLIGIBLE2 ** (1 / n) : 0));
    // The spectra are in the FFT's slot order (src/numerics/real-fft.ts). At the planned counts the
    // power is taken slot by slot, in place into the first spectrum for a plan made once; for
    // fewer steps frequency i of the window is frequency i r of the plan, each at its own slot,
    // into a new array (the ComposedPrv keeps the array).
    const whole = r === 1,
      fPlan = realFFT(this.size),
      fOut = realFFT(M);
    const X = this.once && whole ? this.disc[0].X : new Float64Array(M + 2);
    for (let i = 0; i <= half; i++) {
      const src = whole ? i : fPlan.slot(i * r),
        dst = whole ? i : fOut.slot(i);
      let re = 1,
        im = 0;
      for (let j = 0; j < steps.length; j++) {
        let e = steps[j];
        if (e === 0) continue;
        const Xj = this.disc[j].X;
        let br = Xj[2 * src],
          bi = Xj[2 * src + 1],
          pr = 1,
          pi = 0;
        if (br * br + bi * bi < thr[j]) {
          re = im = 0;
          break;
        }
        for (;;) {
          if (e & 1) {
            const t = pr * br - pi * bi;
            pi = pr * bi + pi * br;
            pr = t;
          }
          e >>>= 1;
          if (e === 0) break;
          const t = br * br - bi * bi;
          bi = 2 * br * bi;
          br = t;
          if (br * br + bi * bi < NEGLIGIBLE2) {
            pr = pi = 0;
            break;
          }
        }
        const t = re * pr - im * pi;
        im = re * pi + im * pr;
        re = t;
      }
      X[2 * dst] = re;
      X[2 * dst + 1] = im;
    }
    let shift = 0;
    for (let j = 0; j < steps.length; j++) shift += steps[j] * this.disc[j].shift;
    realFFT(M).inverse(X, X);
    const out = X.subarray(0, M);
    // Mesh index i of one step is at (i - size/2) dt, so the sum of N steps' index k is at
    // (k - N size/2) dt modulo the window; index i of the result is at (i - M/2) dt, i.e.
    // k = i + N size/2 - M/2 (mod M, circular convolution): out[(i + roll) mod M].
    const roll = (((total * (this.size / 2) - half) % M) + M) % M;
    return new ComposedPrv(-half * this.dt + shift, this.dt, out, roll, this.epsError, this.deltaError);
  }
}
