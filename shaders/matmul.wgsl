// Tiled matrix multiply C[m, n] = sum_k A[m, k] * s(k) * B[k, n] (+ bias[n]) with strided views,
// so one kernel serves the forward pass (X W^T), the backward pass (G W) and the clipped weight
// gradient (G^T diag(c) A). Each workgroup stages 16x16 tiles of A and B in workgroup memory.
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
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<storage, read> aux: array<f32>;
@group(0) @binding(5) var<storage, read> scale: array<f32>;

const T: u32 = 16u;
var<workgroup> tA: array<array<f32, 16>, 16>;
var<workgroup> tB: array<array<f32, 16>, 16>;

fn example_scale(k: u32) -> f32 {
  if (SCALE_MODE == 1u) { return scale[u.offScale + k]; }
  if (SCALE_MODE == 2u) {
    let sq = scale[u.offScale + k];
    if (sq <= u.clipSq) { return 1.0; }
    return sqrt(u.clipSq / sq);
  }
  return 1.0;
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let m = wg.y * T + lid.y;
  let n = wg.x * T + lid.x;
  var acc = 0.0;
  let tiles = (u.K + T - 1u) / T;
  for (var t = 0u; t < tiles; t++) {
    // Thread (x, y) loads A[m, t*T + x] and B[t*T + y, n].
    let ka = t * T + lid.x;
    var a = 0.0;
    if (m < u.M && ka < u.K) { a = A[u.offA + m * u.sAm + ka * u.sAk] * example_scale(ka); }
    tA[lid.y][lid.x] = a;
    let kb = t * T + lid.y;
    var b = 0.0;
    if (kb < u.K && n < u.N) { b = Bm[u.offB + kb * u.sBk + n * u.sBn]; }
    tB[lid.y][lid.x] = b;
    workgroupBarrier();
    for (var i = 0u; i < T; i++) { acc += tA[lid.y][i] * tB[i][lid.x]; }
    workgroupBarrier();
  }
  if (m >= u.M || n >= u.N) { return; }
  if (BIAS) { acc += aux[u.offAux + n]; }
  if (RELU) { acc = max(acc, 0.0); }
  if (RELU_MASK) { if (aux[u.offAux + m * u.ldAux + n] <= 0.0) { acc = 0.0; } }
  C[u.offC + m * u.ldc + n] = acc;
}
