// An accountant name the registry does not hold is an error wherever the engine or the
// calibration meets it: never a silent fallback to PRV or RDP.
import { describe, expect, it } from 'vitest';
import { type Config, makeConfig } from '../../src/config/config';
import { accountantEpsilon, epsilonAfter, epsilonLogged, resolveSigma } from '../../src/engine';
import { calibrateSigma } from '../../src/privacy/calibrate';

describe('an unknown accountant name', () => {
  const base = makeConfig({ algo: 'dpsgd', batch: 256, datasetSize: 32768, steps: 300, sigma: 1, delta: 1e-5 });
  // what a config from an older or newer build, or a bad cast, could carry past the schema
  const bogus = { ...base, accountant: 'gdp' } as unknown as Config;
  const q = base.batch / base.datasetSize;
  const named = /unknown accountant 'gdp': use one of prv, rdp/;

  it('is refused by the engine, for epsilon and for the chart', () => {
    expect(() => accountantEpsilon(bogus, q, 1, 300, 1e-5)).toThrow(named);
    expect(() => epsilonAfter(bogus, 1, 300)).toThrow(named);
    expect(() => epsilonLogged(bogus, 1, 100)).toThrow(named);
  });

  it('is refused by the calibration', () => {
    expect(() => resolveSigma({ ...bogus, targetEpsilon: 3 })).toThrow(named);
    expect(() => calibrateSigma({ targetEpsilon: 3, q, steps: 300, delta: 1e-5, accountant: 'gdp' })).toThrow(named);
  });
});
