// Initial embedding rows drawn on the GPU from Philox (shaders/init_table.wgsl); the CPU
// reference is initTableRef in src/engine/model.ts.
import code from '../../shaders/init_table.wgsl?raw';
import { withLibs, WORKGROUP, makeDispatch, gridFor, type BufferArg, type Dispatch, type Program } from './program';

export const INIT_CODE = withLibs(code, { philox: true });
export const initTableProgram: Program = { name: 'init_table', code: INIT_CODE, workgroup: WORKGROUP };

/** Rows rowStart .. rowStart + rows of table `table` (R rows in all: the scale is 1/sqrt(R)). */
export interface InitParams {
  rows: number;
  D: number;
  table: number;
  seed: number;
  tableRows: number;
  rowStart: number;
}

export function initTable(device: GPUDevice, p: InitParams, b: { E: BufferArg }): Dispatch {
  const quads = Math.ceil(p.D / 4);
  const u = {
    rows: p.rows,
    D: p.D,
    quads,
    table: p.table,
    seed: p.seed,
    a: 1 / Math.sqrt(p.tableRows),
    rowStart: p.rowStart,
  };
  return makeDispatch(device, initTableProgram, b, gridFor(initTableProgram, p.rows * quads), { u });
}
