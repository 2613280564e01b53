// Tolerances derived from WGSL's accuracy rules (the derivation: src/kernels/tolerance.ts, shared
// with the bundled gpucheck).
export { NORMAL_ABS, RAD_MAX, noiseTolerance, contractionSlack } from '../../src/kernels/tolerance';
