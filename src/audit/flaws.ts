// Deliberate privacy bugs, for teaching with the one-run audit (src/audit/run.ts) and nowhere
// else: a Trainer built with one refuses to export, and only the audit builds one. Each is
// labelled BROKEN wherever it appears.
import flawCode from '../../shaders/audit_flaw.wgsl?raw';
import {
  withLibs,
  WORKGROUP,
  makeDispatch,
  gridFor,
  type BufferArg,
  type Dispatch,
  type Program,
} from '../kernels/program';
import { heads } from '../kernels/sort';
import { eagerTableNoise } from '../noise/philox';
import type { StepValues } from '../kernels/step';
import type { ShardParams } from '../kernels/noise';

export { AUDIT_FLAWS, AUDITED, FLAW_BUG_OF, FLAW_TEXT, FLAW_ALGO, type AuditFlaw } from './flaw-names';

export const AUDIT_FLAW_CODE = withLibs(flawCode, { philox: true, step: true, rows: true });
/** BROKEN: noise on the touched rows only (replaces eager DP-SGD's dense pass in an audit run). */
export const touchedNoiseProgram: Program = {
  name: 'audit_flaw',
  code: AUDIT_FLAW_CODE,
  entry: 'touched',
  workgroup: WORKGROUP,
};

/** BROKEN: this step's eager noise on the unique rows of the sorted `keys` (n pairs) inside the shard. */
export function touchedNoise(
  device: GPUDevice,
  p: ShardParams & { n: number },
  b: { st: GPUBuffer; keys: BufferArg; E: BufferArg },
): Dispatch {
  const u = { n: p.n, rows: p.rows, D: p.D, quads: Math.ceil(p.D / 4), table: p.table, rowStart: p.rowStart };
  return makeDispatch(device, touchedNoiseProgram, b, gridFor(touchedNoiseProgram, p.n), { u });
}

/** CPU reference of touchedNoiseProgram: each unique row of the sorted keys inside the shard gets this step's draw. */
export function touchedNoiseRef(
  st: StepValues,
  table: number,
  D: number,
  keys: ArrayLike<number>,
  E: Float32Array,
  rowStart = 0,
  rows = E.length / D,
): void {
  const s = st.lr * st.invB * st.noiseStd;
  for (const h of heads(keys)) {
    const r = keys[h] - rowStart;
    if (r < 0 || r >= rows) continue;
    for (let c = 0; c < D; c++) E[r * D + c] -= s * eagerTableNoise(st.key, table, keys[h], c, st.step);
  }
}
