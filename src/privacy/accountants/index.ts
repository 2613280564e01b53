// The registry of privacy accountants (like Opacus' accountants/registry.py): one entry per
// file of this folder. A name it does not hold is an error, never a fallback to another one.
import { type Accountant, UnknownAccountantError } from './accountant';
import { prvAccountant } from './prv';
import { rdpAccountant } from './rdp';

export type { Accountant, GaussianPhase, Mechanism, PlannedAccount, PoissonGaussian } from './accountant';
export { gaussianPhases, sigmaEff, UnknownAccountantError } from './accountant';
export { calibrateWith, type Calibration } from './calibrate';
export { prvAccountant } from './prv';
export { rdpAccountant } from './rdp';

/** Every accountant, by its config name (src/config/config.ts ACCOUNTANTS lists the same names). */
export const ACCOUNTANTS: readonly Accountant[] = [prvAccountant(), rdpAccountant()];

/** The registered accountant called `name`; throws UnknownAccountantError for any other name. */
export function accountantNamed(name: string): Accountant {
  const a = ACCOUNTANTS.find((x) => x.name === name);
  if (!a)
    throw new UnknownAccountantError(
      name,
      ACCOUNTANTS.map((x) => x.name),
    );
  return a;
}
