// How far a GPU may legitimately be from the TypeScript references, derived from WGSL's accuracy
// rules (WGSL spec, "Floating Point Accuracy": f32 builtins), so that a comparison fails on a
// real bug and never on a conforming GPU. Shared by the kernel tests and the bundled gpucheck.
//
// A Philox normal is Box-Muller on exact uniforms (u = k 2^-24 + 2^-25, the same bits on both
// sides; shaders/lib/philox.wgsl): z = rad * cos(ang), rad = sqrt(-2 log u_a).
//  - cos, sin: absolute error 2^-11 for ang in [-pi, pi] (the shader keeps it there); the angle's
//    own f32 rounding (pi 2^-24) is negligible. |rad| <= RAD_MAX, so this term is RAD_MAX 2^-11.
//  - log: absolute error 2^-21 for u in [0.5, 2], else 3 ULP. Near u = 1, -2 log u is off by up
//    to 2^-20 absolute, and sqrt(a + e) - sqrt(a) <= sqrt(e): rad is off by up to 2^-10 there.
//    Elsewhere the relative error of rad is (3/2 + sqrt's 2.5 + inverseSqrt's 2) ULP, under
//    6 * 2^-23 * RAD_MAX = 4.2e-6.
// So |z_gpu - z| <= RAD_MAX 2^-11 + 2^-10 + 4.2e-6 = 3.87e-3 (the previous 2e-5 on 0.0625 z,
// i.e. 3.2e-4 on z, held on SwiftShader but is tighter than what WGSL promises).

/** Largest Box-Muller radius: u >= 2^-25, rad = sqrt(-2 ln 2^-25). */
export const RAD_MAX = Math.sqrt(50 * Math.LN2);
/** WGSL's bound on cos/sin in [-pi, pi]. */
export const WGSL_SINCOS_ABS = 2 ** -11;
/** |z_gpu - z_ts| of one Philox normal that WGSL allows (derivation above). */
export const NORMAL_ABS = RAD_MAX * WGSL_SINCOS_ABS + 2 ** -10 + 6 * 2 ** -23 * RAD_MAX;
/** One f32 rounding, relative. */
export const F32_EPS = 2 ** -24;

/**
 * Tolerance of E after updates that subtract `noiseScale` (sum of |scale| over the draws it
 * received, e.g. steps x lr/B sigma C) times normals: each normal is off by up to NORMAL_ABS;
 * each of `ops` f32 updates rounds once or twice (fused or not), relative to the magnitude.
 */
export function noiseTolerance(noiseScale: number, ops = 1): { rel: number; abs: number } {
  return { rel: 1e-4 + 4 * ops * F32_EPS, abs: 2e-5 + Math.abs(noiseScale) * NORMAL_ABS };
}

/**
 * The same WGSL code evaluating E - s*z in two kernels on one device (lazydp-exact's replay and
 * dpsgd's noise; scalar and vec4 entries): same inputs, but a compiler may contract a product
 * into a sum with an fma in one and not the other. Per update that is one rounding of |s z| and
 * of the result (2^-24 relative each, values up to `magnitude`), and in the normal the angle
 * 2 pi (u - 1) (1 ULP of at most pi, 2^-22, times RAD_MAX, times |scale|).
 */
export function contractionSlack(steps: number, magnitude: number, scale: number): number {
  return steps * (2 * F32_EPS * magnitude + Math.abs(scale) * RAD_MAX * 2 ** -22);
}
