// What every privacy accountant offers (in the spirit of Opacus' IAccountant and its registry,
// opacus/accountants/): epsilon and the privacy profile for a composition of per-step mechanisms,
// and what the one sigma calibration (./calibrate.ts) needs to know. One file per accountant in
// this folder, registered in ./index.ts.

/**
 * `steps` steps of the Gaussian mechanism (noise multiplier sigma, sensitivity 1) on a Poisson
 * sample of rate q. `sample` names the sample: mechanisms that name the same one run on one
 * shared sample at each step (DP-AdaFEST's contribution map and gradient) and together are one
 * Gaussian mechanism with sigma_eff = (sum sigma_i^-2)^(-1/2) (DESIGN §14); mechanisms on
 * different samples are independent and compose (RDP adds, PRVs convolve). The name is required:
 * taking two Gaussians on one sample for independent ones would understate epsilon (their
 * subsampling would be counted twice; tests/privacy/accountants.test.ts shows by how much).
 */
export interface PoissonGaussian {
  kind: 'poisson-gaussian';
  q: number;
  sigma: number;
  steps: number;
  sample: string;
}

export type Mechanism = PoissonGaussian;

/** One Poisson-subsampled Gaussian phase: what both accountants compose. */
export interface GaussianPhase {
  q: number;
  sigma: number;
  steps: number;
}

/** Epsilon of a run's mechanisms for any number of its first steps, at any delta above its resolution. */
export interface PlannedAccount {
  /** epsilon at delta of each mechanism run for min(its steps, `steps`) steps; Infinity when unbounded */
  epsilon(steps: number, delta: number): number;
}

export interface Accountant {
  /** the config's name for it (accountant=...) */
  readonly name: string;
  /** how the lab and the CLI name it */
  readonly label: string;
  /** true when epsilon at every step count is as cheap as at the end (the trainer's chart needs no grid) */
  readonly cheapPerStep: boolean;
  /** epsilon (an upper bound) at delta of the mechanisms composed; Infinity when no finite bound */
  epsilon(mechanisms: readonly Mechanism[], delta: number): number;
  /** the privacy profile: epsilon at each delta */
  profile(mechanisms: readonly Mechanism[], deltas: readonly number[]): number[];
  /**
   * The mechanisms' steps are the most that will be asked; `deltaError` the resolution in delta
   * where the accountant has one (PRV). Work shared between step counts is done once.
   */
  plan(mechanisms: readonly Mechanism[], opts: { deltaError: number }): PlannedAccount;
  /** for the calibration: its default relative tolerance on sigma */
  readonly calibrationTol: number;
  /** why no sigma, however large, meets targetEpsilon at delta; undefined when one may */
  unreachable(targetEpsilon: number, delta: number): string | undefined;
  /** a sigma near the answer, to start the search from (calibration) */
  startSigma(mechanismsAt: (sigma: number) => readonly Mechanism[], targetEpsilon: number, delta: number): number;
}

/** An accountant name the registry does not hold: never a fallback to another accountant. */
export class UnknownAccountantError extends Error {
  constructor(
    readonly accountant: string,
    known: readonly string[],
  ) {
    super(`unknown accountant '${accountant}': use one of ${known.join(', ')}`);
    this.name = 'UnknownAccountantError';
  }
}

/** The noise multiplier of Gaussians on one sample taken together (DESIGN §14). */
export function sigmaEff(sigmas: readonly number[]): number {
  let inv = 0;
  for (const s of sigmas) inv += s === Infinity ? 0 : 1 / (s * s);
  return 1 / Math.sqrt(inv);
}

/**
 * The mechanisms as independent Poisson-Gaussian phases, one per sample, in order of first
 * appearance: those sharing a sample become one phase at sigma_eff (they must agree on q and
 * steps).
 */
export function gaussianPhases(mechanisms: readonly Mechanism[]): GaussianPhase[] {
  const groups = new Map<string, { q: number; steps: number; sigmas: number[] }>();
  for (const m of mechanisms) {
    if (m.kind !== 'poisson-gaussian') throw new RangeError(`unknown mechanism kind '${(m as Mechanism).kind}'`);
    const g = groups.get(m.sample);
    if (!g) groups.set(m.sample, { q: m.q, steps: m.steps, sigmas: [m.sigma] });
    else if (g.q !== m.q || g.steps !== m.steps)
      throw new RangeError(`mechanisms on sample '${m.sample}' must share q and steps`);
    else g.sigmas.push(m.sigma);
  }
  return [...groups.values()].map((g) => ({
    q: g.q,
    // one sigma stays as it is (bit for bit): sigmaEff of one rounds
    sigma: g.sigmas.length === 1 ? g.sigmas[0] : sigmaEff(g.sigmas),
    steps: g.steps,
  }));
}

/** The phases of the first `steps` steps: each mechanism runs for min(its steps, steps). */
export function firstSteps(phases: readonly GaussianPhase[], steps: number): GaussianPhase[] {
  return phases.map((p) => ({ ...p, steps: Math.min(p.steps, steps) }));
}
