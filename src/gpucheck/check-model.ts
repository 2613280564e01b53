// The small model the whole-step checks share: the bundled GPU check (./engine.ts), the
// conformance suite (tests/algorithms) and tests/engine/step.test.ts. Three tables, two MLPs of
// more than one layer, a skewed popularity: every kind of layer and repeated rows in a batch, in
// seconds on SwiftShader. Each check overrides what it needs (steps, the evaluation split, the seed).
export const CHECK_MODEL = {
  tables: [50, 30, 7],
  dim: 6,
  pooling: 3,
  batch: 12,
  dense: 5,
  bottom: [8],
  top: [9, 4],
  datasetSize: 64,
  evalSize: 32,
  evalEvery: 0,
  steps: 8,
  seed: '987654321',
  lr: 0.4,
  sigma: 0.8,
  clip: 0.7,
  zipf: 1.2,
};

/**
 * DP-FEST keeps fewer rows than a table has; DP-AdaFEST's tau lets touched rows fall on both sides
 * and untouched ones cross (p = Q(3/4) = 23 %): every branch of their steps runs.
 */
export const FEST_BRANCHES = { festK: 12, threshold: 3 };
