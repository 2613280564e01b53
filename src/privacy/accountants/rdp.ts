// The RDP accountant (../rdp.ts, Opacus' RDPAccountant): per-step RDP at each order, summed
// over the independent phases (RDP composes additively), converted to (epsilon, delta).
import { computeRdp, OPACUS_ORDERS, rdpToEpsilon } from '../rdp';
import { type Accountant, firstSteps, type GaussianPhase, gaussianPhases, type Mechanism } from './accountant';

/** Sums the phases' RDP at each order; epsilon 0 (checked delta) when nothing is released. */
function phasesEpsilon(
  orders: readonly number[],
  perStep: readonly number[][],
  phases: readonly GaussianPhase[],
  delta: number,
): number {
  for (const p of phases)
    if (!(p.steps >= 0 && p.steps < Infinity))
      throw new RangeError(`steps must be a finite number >= 0 (got ${p.steps})`);
  // nothing released (no step, or no one ever sampled): (0, 0)-DP, as ../rdp.ts computeEpsilon
  if (!phases.some((p) => p.q > 0 && p.steps > 0)) {
    if (!(delta > 0 && delta < 1)) throw new RangeError(`delta must be in (0, 1) (got ${delta})`);
    return 0;
  }
  const total = new Array<number>(orders.length).fill(0);
  phases.forEach((p, j) => {
    if (p.steps === 0) return; // 0 steps of anything, even sigma = 0, is 0
    for (let i = 0; i < total.length; i++) total[i] += perStep[j][i] * p.steps;
  });
  return rdpToEpsilon(orders, total, delta).epsilon;
}

export function rdpAccountant(opts: { orders?: readonly number[] } = {}): Accountant {
  const orders = opts.orders ?? OPACUS_ORDERS;
  const rdp1 = (phases: readonly GaussianPhase[]) => phases.map((p) => computeRdp(p.q, p.sigma, 1, orders));
  const epsilon = (mechanisms: readonly Mechanism[], delta: number) => {
    const phases = gaussianPhases(mechanisms);
    return phasesEpsilon(orders, rdp1(phases), phases, delta);
  };
  return {
    name: 'rdp',
    label: 'RDP',
    cheapPerStep: true,
    epsilon,
    profile: (mechanisms, deltas) => deltas.map((d) => epsilon(mechanisms, d)),
    plan(mechanisms) {
      const phases = gaussianPhases(mechanisms);
      const perStep = rdp1(phases);
      return { epsilon: (steps, delta) => phasesEpsilon(orders, perStep, firstSteps(phases, steps), delta) };
    },
    calibrationTol: 1e-9,
    unreachable(targetEpsilon, delta) {
      // Even with infinite noise the conversion leaves min_a -(log delta + log a)/(a - 1) +
      // log((a - 1)/a) > 0; targets at or below it are out of reach for these orders.
      const floor = rdpToEpsilon(orders, new Array<number>(orders.length).fill(0), delta).epsilon;
      if (targetEpsilon > floor) return undefined;
      return (
        `targetEpsilon ${targetEpsilon} is unreachable: with delta = ${delta} and these RDP orders (largest ${Math.max(...orders)}) ` +
        `epsilon cannot go below ${floor.toPrecision(6)} however large sigma is; raise targetEpsilon or delta`
      );
    },
    startSigma: () => 1,
  };
}
