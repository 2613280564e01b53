// Tiled matrix multiply C[m, n] = sum_k A[m, k] * s(k) * B[k, n] (+ bias[n]) with strided views,
// so one kernel serves the forward pass (X W^T), the backward pass (G W) and the clipped weight
// gradient (G^T diag(c) A). Tiles of A and B are staged in workgroup memory. (The training step
// computes its weight gradients with wgrad.wgsl instead: split over the batch, bias folded in.)
//
// s(k) is the per-example clip factor of the weight-gradient product (k runs over the batch):
//   SCALE_MODE 0: 1; 1: flat clipping, c[k] from the clip kernel;
//   2: per-layer clipping (FlashDP style), computed here from this layer's per-example squared
//      norm: min(1, C_l / ||g_k||), so the factor is applied in the kernel that accumulates.

override BIAS: bool = false;       // add aux[n] (forward)
override RELU: bool = false;       // max(0, .) on the output (forward)
override RELU_MASK: bool = false;  // multiply by (aux[m, n] > 0) (backward through ReLU)
override SCALE_MODE: u32 = 0u;

struct MM {
  M: u32, N: u32, K: u32,
  offA: u32, sAm: u32, sAk: u32,
  offB: u32, sBk: u32, sBn: u32,
  offC: u32, ldc: u32,
  offAux: u32, ldAux: u32,
  offScale: u32,
  clipSq: f32,
}

@group(0) @binding(0) var<uniform> u: MM;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> Bm: array<f32>;
@group(0) @binding(3) var<storage, read> aux: array<f32>;
@group(0) @binding(4) var<storage, read> scale: array<f32>;
@group(0) @binding(5) var<storage, read_write> C: array<f32>;

// Each workgroup computes a 32x32 tile of C; each of its 8x8 threads a 4x4 block held in
// registers, so every value staged in workgroup memory is reused 4 times per thread and each
// barrier is amortised over 4x4x16 multiply-adds (software rasterisers such as SwiftShader pay
// dearly per barrier; GPUs gain from the register reuse).
const TM: u32 = 32u;
const TK: u32 = 16u;
var<workgroup> tA: array<array<f32, 32>, 16>; // [k][m]
var<workgroup> tB: array<array<f32, 32>, 16>; // [k][n]

fn example_scale(k: u32) -> f32 {
  if (SCALE_MODE == 0u) { return 1.0; }
  return clip_scale(SCALE_MODE, scale[u.offScale + k], u.clipSq);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32, @builtin(local_invocation_id) lid: vec3u) {
  let m0 = wg.y * TM;
  let n0 = wg.x * TM;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  let tiles = (u.K + TK - 1u) / TK;
  for (var t = 0u; t < tiles; t++) {
    let k0 = t * TK;
    // 64 threads stage 32x16 values of A and 16x32 of B: 8 each.
    for (var e = 0u; e < 8u; e++) {
      let idx = li + e * 64u;
      let am = idx / TK;
      let ak = idx % TK;
      let gm = m0 + am;
      let gk = k0 + ak;
      var a = 0.0;
      if (gm < u.M && gk < u.K) { a = A[u.offA + gm * u.sAm + gk * u.sAk] * example_scale(gk); }
      tA[ak][am] = a;
      let bk = idx / TM;
      let bn = idx % TM;
      let gkb = k0 + bk;
      let gn = n0 + bn;
      var b = 0.0;
      if (gkb < u.K && gn < u.N) { b = Bm[u.offB + gkb * u.sBk + gn * u.sBn]; }
      tB[bk][bn] = b;
    }
    workgroupBarrier();
    let ty = lid.y * 4u;
    let tx = lid.x * 4u;
    for (var kk = 0u; kk < TK; kk++) {
      let a = vec4f(tA[kk][ty], tA[kk][ty + 1u], tA[kk][ty + 2u], tA[kk][ty + 3u]);
      let b = vec4f(tB[kk][tx], tB[kk][tx + 1u], tB[kk][tx + 2u], tB[kk][tx + 3u]);
      acc0 += a.x * b;
      acc1 += a.y * b;
      acc2 += a.z * b;
      acc3 += a.w * b;
    }
    workgroupBarrier();
  }
  let rows = array<vec4f, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + lid.y * 4u + i;
    if (m >= u.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + lid.x * 4u + j;
      if (n >= u.N) { break; }
      var v = rows[i][j];
      if (BIAS) { v += aux[u.offAux + n]; }
      if (RELU) { v = max(v, 0.0); }
      if (RELU_MASK) { if (aux[u.offAux + m * u.ldAux + n] <= 0.0) { v = 0.0; } }
      C[u.offC + m * u.ldc + n] = v;
    }
  }
}
