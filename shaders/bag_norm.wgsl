// Per-example squared gradient norm of one embedding table: the pooled gradient g_i is added to
// every slot of the bag, so row r receives cnt_i(r) g_i and ||dE_i||^2 = ||g_i||^2 sum_r cnt_i(r)^2.
// sum_r cnt(r)^2 = sum over slots l of (number of slots holding the same row as l): repeats count.

struct BagNorm { B: u32, L: u32, D: u32, rows: u32, offIdx: u32, offG: u32, ldG: u32, offN: u32 }

@group(0) @binding(0) var<uniform> u: BagNorm;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read_write> norms: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let b = global_index(g, nw);
  if (b >= u.B) { return; }
  let base = u.offIdx + b * u.L;
  var cnt2 = 0u;
  for (var l = 0u; l < u.L; l++) {
    let r = idx[base + l];
    if (r >= u.rows) { continue; }
    for (var m = 0u; m < u.L; m++) { if (idx[base + m] == r) { cnt2++; } }
  }
  var g2 = 0.0;
  for (var d = 0u; d < u.D; d++) { let v = G[u.offG + b * u.ldG + d]; g2 += v * v; }
  norms[u.offN + b] = g2 * f32(cnt2);
}
