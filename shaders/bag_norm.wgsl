// Per-example squared gradient norm of one embedding table: the pooled gradient g_i is added to
// every slot of the bag, so row r receives cnt_i(r) g_i and ||dE_i||^2 = ||g_i||^2 sum_r cnt_i(r)^2.
// sum_r cnt(r)^2 = sum over slots l of (number of slots holding the same row as l): repeats count.

// Every table in one dispatch, one thread per (table t, example b): table t's indices start at
// offIdx + t*strideIdx, its pooled gradients at column offG + t*strideG, its norms at offN + t*strideN.

struct BagNorm {
  B: u32, L: u32, D: u32, tables: u32, offIdx: u32, strideIdx: u32, offG: u32, strideG: u32, ldG: u32,
  offN: u32, strideN: u32,
}

@group(0) @binding(0) var<uniform> u: BagNorm;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read> tableRows: array<u32>;
@group(0) @binding(4) var<storage, read_write> norms: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.B * u.tables) { return; }
  let t = i / u.B;
  let b = i % u.B;
  let rows = tableRows[t];
  let base = u.offIdx + t * u.strideIdx + b * u.L;
  var cnt2 = 0u;
  for (var l = 0u; l < u.L; l++) {
    let r = idx[base + l];
    if (r >= rows) { continue; }
    for (var m = 0u; m < u.L; m++) { if (idx[base + m] == r) { cnt2++; } }
  }
  let offG = u.offG + t * u.strideG;
  var g2 = 0.0;
  for (var d = 0u; d < u.D; d++) { let v = G[offG + b * u.ldG + d]; g2 += v * v; }
  norms[u.offN + t * u.strideN + b] = g2 * f32(cnt2);
}
