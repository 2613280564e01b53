// The PRV accountant (../prv.ts, Gopi et al. 2021, Opacus' PRVAccountant): the phases'
// privacy loss distributions discretised on one mesh and composed by FFT; epsilon is the
// upper bound of Theorem 5.5 at eps_error.
import { type ComposedPrv, PrvPlan, privacyProfile, prvEpsilon, type PrvPhase } from '../prv';
import { type Accountant, firstSteps, gaussianPhases } from './accountant';
import { calibrateWith } from './calibrate';
import { rdpAccountant } from './rdp';

const live = (phases: readonly PrvPhase[]) => phases.filter((p) => p.q > 0 && p.steps > 0);

export function prvAccountant(opts: { epsError?: number } = {}): Accountant {
  const epsError = opts.epsError ?? 0.01;
  const rdp = rdpAccountant();
  return {
    name: 'prv',
    label: 'PRV',
    cheapPerStep: false,
    epsilon: (mechanisms, delta) => prvEpsilon(gaussianPhases(mechanisms), delta, { epsError }).epsilon,
    profile: (mechanisms, deltas) =>
      privacyProfile(gaussianPhases(mechanisms), deltas, { epsError }).map((e) => e.epsilon),
    plan(mechanisms, { deltaError }) {
      const phases = gaussianPhases(mechanisms);
      let plan: PrvPlan | undefined;
      // a few compositions per plan (each holds a mesh-sized array, up to 32 MiB)
      const composed = new Map<string, ComposedPrv>();
      const compose = (steps: number): ComposedPrv => {
        const counts = firstSteps(phases, steps).map((p) => p.steps);
        const key = counts.join('|');
        const hit = composed.get(key);
        if (hit) return hit;
        plan ??= new PrvPlan(live(phases), { epsError, deltaError });
        const c = plan.compose(counts.filter((_, j) => phases[j].q > 0 && phases[j].steps > 0));
        if (composed.size >= 4) composed.delete(composed.keys().next().value as string);
        composed.set(key, c);
        return c;
      };
      return {
        epsilon(steps, delta) {
          if (!(delta > 0 && delta < 1)) throw new RangeError(`delta must be in (0, 1) (got ${delta})`);
          if (live(firstSteps(phases, steps)).length === 0) return 0; // nothing released
          let comp: ComposedPrv;
          try {
            comp = compose(steps);
          } catch (e) {
            // out of PRV's range (so little noise that even RDP's bound is in the hundreds): no finite epsilon
            if (e instanceof RangeError) return Infinity;
            throw e;
          }
          // the composition was made for delta error deltaError; far below that it says nothing
          if (!(delta > 2 * comp.deltaError)) return Infinity;
          return comp.epsilon(delta).epsilon;
        },
      };
    },
    calibrationTol: 1e-4,
    unreachable(targetEpsilon) {
      // the upper bound is the estimate plus epsError: it never goes below epsError
      if (targetEpsilon > 2 * epsError) return undefined;
      return (
        `targetEpsilon ${targetEpsilon} is unreachable with the PRV accountant: ` +
        `its bound carries an error of ${epsError}; raise targetEpsilon above ${2 * epsError}`
      );
    },
    startSigma(mechanismsAt, targetEpsilon, delta) {
      // RDP's epsilon is larger, so its sigma meets the target and starts the bracket close by
      try {
        return calibrateWith(rdp, { targetEpsilon, delta, mechanismsAt, tol: 1e-6 });
      } catch {
        return 1; // RDP cannot reach it (its conversion's floor): search from 1
      }
    },
  };
}
