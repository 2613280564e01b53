// The engine audit tests' small configuration (tests/engine/audit.test.ts, audit-gradient.test.ts):
// small enough for seconds on SwiftShader; q * steps ~ 4.5, so ~99% of "in" canaries are sampled
// at least once, and sigma 1.5 keeps the accountant's epsilon (~1.9) well under what 400 canaries
// can show when the guesses are perfect (~3.4).
export const AUDIT_SMALL = {
  tables: '64,32',
  dim: 4,
  pooling: 2,
  batch: 32,
  dense: 4,
  bottom: '8',
  top: '8',
  datasetSize: 512,
  evalSize: 64,
  evalEvery: 0,
  steps: 100,
  sigma: 1.5,
  lr: 0.5,
  seed: '12345',
};

/** canaries per audit in those tests */
export const AUDIT_CANARIES = 400;
