// The registered algorithms: the configuration schema, the CLI, the lab's pickers, "run all",
// bench, the audit and the conformance tests enumerate this list. Adding an algorithm is one
// module beside these (its kernels aside) and one entry here; see docs/algorithms.md, "Adding an algorithm".
import type { Algorithm, AlgoConfig } from './types';
import { sgd } from './sgd';
import { dpsgd } from './dpsgd';
import { lazydp, lazydpExact } from './lazydp';
import { dpAdafest } from './dp-adafest';
import { dpFest } from './dp-fest';

export type {
  Algorithm,
  AlgoConfig,
  AlgorithmBuffers,
  Mechanism,
  GaussianMechanism,
  ReferenceStep,
  TableNoise,
} from './types';

const MODULES = [sgd, dpsgd, lazydp, lazydpExact, dpFest, dpAdafest] as const;
export type AlgoName = (typeof MODULES)[number]['name'];

/** Every algorithm, in the order the lab shows them. */
export const ALGORITHMS: readonly Algorithm<AlgoName>[] = MODULES;
export const ALGO_NAMES = ALGORITHMS.map((a) => a.name) as readonly AlgoName[] as readonly [AlgoName, ...AlgoName[]];

/** An algorithm name that is not registered; says which are. */
export class UnknownAlgorithmError extends Error {
  constructor(readonly algo: string) {
    super(`unknown algorithm ${JSON.stringify(algo)} (known: ${ALGO_NAMES.join(', ')})`);
    this.name = 'UnknownAlgorithmError';
  }
}

/** The registered algorithm of this name; throws UnknownAlgorithmError, never falls back. */
export function algorithm(name: string): Algorithm<AlgoName> {
  const a = ALGORITHMS.find((x) => x.name === name);
  if (!a) throw new UnknownAlgorithmError(name);
  return a;
}

/** The algorithm a configuration names. */
export const algorithmOf = (c: { algo: string }): Algorithm<AlgoName> => algorithm(c.algo);

/**
 * The private algorithm the lab features beside the baseline (a first visit trains it after a
 * non-private default; the teaching view explains it): lazy noise, the lab's subject.
 */
export const FEATURED: AlgoName = lazydp.name;

/** The first registered non-private algorithm: the baseline every private run is compared with. */
export const BASELINE: AlgoName = ALGORITHMS.find((a) => !a.private)!.name;

/**
 * The per-step noise multiplier the accountant composes for these mechanisms. Gaussian releases
 * on the same sample with L2 sensitivity 1 (after dividing by their clip norms) compose into one
 * Gaussian mechanism whose multiplier is (Σ σ_i^-2)^(-1/2). Throws for a private algorithm that
 * declares none: ε of no mechanism would be a number about nothing.
 */
export function stepNoiseMultiplier(a: Algorithm, sigma: number, c: AlgoConfig): number {
  const ms = a.mechanisms(sigma, c);
  if (!ms.length) throw new Error(`algorithm ${a.name} is private but declares no privacy mechanism per step`);
  for (const m of ms)
    if (m.kind !== 'gaussian') throw new Error(`algorithm ${a.name}: mechanism ${String(m.kind)} has no accountant`);
  const inv = ms.reduce((s, m) => s + (m.noiseMultiplier > 0 ? m.noiseMultiplier ** -2 : Infinity), 0);
  return inv === Infinity ? 0 : inv ** -0.5;
}
