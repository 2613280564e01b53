// The trainer's steps replayed by the reference oracle: one implementation, shared with the
// bundled GPU check (src/gpucheck/replay.ts).
export {
  adafestParams,
  fromRef,
  referenceAfter,
  referenceKindOf,
  referenceSelection,
  toRef,
  uniqueRows,
} from '../../src/gpucheck/replay';
