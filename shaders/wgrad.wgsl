// MLP weight and bias gradients split over the batch (K-split), deterministic:
//   gW[m, n] = sum_k G[k, m] s(k) A[k, n],  gb[m] = sum_k s(k) G[k, m]
// The bias is the extra input column n = N of ones, so one tile loop gives both. `partial`: each
// workgroup sums a 32x32 tile of outputs over one chunk of `chunk` batch rows (workgroup z) into
// the partials of that chunk; `reduce` then adds the chunks' partials of every output in chunk
// order, so a step gives the same bits every run. Small layers get chunks x tiles workgroups
// instead of a few tiles each looping over the whole batch.
//
// Output layout (the MLP gradient buffer): a layer's weight, row-major M x N at offOut, then its
// bias (M values); chunk c's partials lie `stride` elements after chunk c-1's. With one chunk
// `partial` writes the gradient itself and no reduce runs.
//
// s(k) as in matmul.wgsl: SCALE_MODE 0: 1; 1: the flat clip factor; 2: the per-layer factor
// min(1, C_l / ||g_k||) from this layer's squared norm.

override SCALE_MODE: u32 = 0u;

struct WGrad {
  M: u32,        // outputs (rows of W)
  N: u32,        // inputs (columns of W); column N is the bias's column of ones
  K: u32,        // batch rows
  chunk: u32,    // batch rows per chunk (a multiple of 16)
  chunks: u32,   // chunks (reduce)
  offG: u32, ldG: u32,
  offA: u32, ldA: u32,
  offScale: u32,
  clipSq: f32,
  offOut: u32,
  stride: u32,   // elements per chunk of partials; reduce: the gradients' length
}

@group(0) @binding(0) var<uniform> u: WGrad;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> A: array<f32>;
@group(0) @binding(3) var<storage, read> scale: array<f32>;
@group(0) @binding(4) var<storage, read> parts: array<f32>;
@group(0) @binding(5) var<storage, read_write> P: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

// The tiling of matmul.wgsl: 8x8 threads, each a 4x4 block of the 32x32 tile in registers.
const TM: u32 = 32u;
const TK: u32 = 16u;
var<workgroup> tG: array<array<f32, 32>, 16>; // [k][m]
var<workgroup> tA: array<array<f32, 32>, 16>; // [k][n]

fn example_scale(k: u32) -> f32 {
  if (SCALE_MODE == 0u) { return 1.0; }
  return clip_scale(SCALE_MODE, scale[u.offScale + k], u.clipSq);
}

@compute @workgroup_size(8, 8)
fn partial(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32, @builtin(local_invocation_id) lid: vec3u) {
  let m0 = wg.y * TM;
  let n0 = wg.x * TM;
  let kBeg = wg.z * u.chunk;
  let kEnd = min(kBeg + u.chunk, u.K);
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k0 = kBeg; k0 < kEnd; k0 += TK) {
    // 64 threads stage 16x32 values of G and of A: 8 each, consecutive threads along a row.
    for (var e = 0u; e < 8u; e++) {
      let idx = li + e * 64u;
      let c = idx % TM;
      let k = k0 + idx / TM;
      var g = 0.0;
      var a = 0.0;
      if (k < kEnd) {
        if (m0 + c < u.M) { g = G[u.offG + k * u.ldG + m0 + c] * example_scale(k); }
        let n = n0 + c;
        if (n < u.N) { a = A[u.offA + k * u.ldA + n]; } else if (n == u.N) { a = 1.0; }
      }
      tG[idx / TM][c] = g;
      tA[idx / TM][c] = a;
    }
    workgroupBarrier();
    let ty = lid.y * 4u;
    let tx = lid.x * 4u;
    for (var kk = 0u; kk < TK; kk++) {
      let g = vec4f(tG[kk][ty], tG[kk][ty + 1u], tG[kk][ty + 2u], tG[kk][ty + 3u]);
      let a = vec4f(tA[kk][tx], tA[kk][tx + 1u], tA[kk][tx + 2u], tA[kk][tx + 3u]);
      acc0 += g.x * a;
      acc1 += g.y * a;
      acc2 += g.z * a;
      acc3 += g.w * a;
    }
    workgroupBarrier();
  }
  let rows = array<vec4f, 4>(acc0, acc1, acc2, acc3);
  let base = wg.z * u.stride + u.offOut;
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + lid.y * 4u + i;
    if (m >= u.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + lid.x * 4u + j;
      if (n > u.N) { break; }
      if (n < u.N) { P[base + m * u.N + n] = rows[i][j]; } else { P[base + u.M * u.N + m] = rows[i][j]; }
    }
  }
}

@compute @workgroup_size(WG)
fn reduce(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.stride) { return; }
  var acc = 0.0;
  for (var c = 0u; c < u.chunks; c++) { acc += parts[c * u.stride + i]; }
  out[i] = acc;
}
