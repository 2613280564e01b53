// The engine's one public entry: what the UI, the CLI and the tests may use. Everything else
// under src/engine/ and src/kernels/ is internal and may change with the step it builds.
export { Trainer } from './trainer';
export { UnnoisedStepError, type CanarySpec } from './step-graph';
export { accountantEpsilon, epsilonAfter, epsilonLogged, epsilonStep, resolveSigma, truncDelta } from './accounting';
export { maxBatchFor, checkData } from './batch';
export { isLazy, denseTableState } from './plan';
export {
  CapacityError,
  estimateMemory,
  fmtBytes,
  planShards,
  bindingCap,
  type Limits,
  type MemoryEstimate,
  type ShardPlan,
} from './memory';
export {
  openCheckpoint,
  resumeProblem,
  tensorProblem,
  labResumeConfig,
  type Checkpoint,
  type ReadAt,
  type TensorEntry,
} from './checkpoint';
export { exportMetadata, writeModelParts, modelFileBytes, type Exportable } from './export';
export { requestLabDevice, describeDevice, type DeviceInfo } from './device';
export { modelLayout, type Layout, type Layer } from './model';
export { encodeSafetensors, decodeSafetensors, safetensorsHeader } from './safetensors';
export {
  STAGES,
  zeroStages,
  type Stage,
  type StageTimes,
  type TimingSource,
  type LogPoint,
  type RunSummary,
  type StepCosts,
  type NamedTensor,
} from './types';
export { median, quantile } from './stage-timer';
export { benchLoop, copyBandwidth, type BenchCase, type BenchOutcome } from './bench';
export { checkDivergence, checkFiniteWeights } from './divergence';
export { userMessage } from './messages';
export type { FestRow, FestStep } from './fest-step';
