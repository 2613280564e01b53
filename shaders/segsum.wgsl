// Clipped embedding gradient, one row at a time: after sorting, the pairs of each row are
// contiguous; the first position of a run (its head) sums s(b) * g_b over the run in sorted
// order (deterministic), where g_b is the pooled gradient of example b (slot / L).
// s(b): 1 (sgd), the flat clip factor, or the per-layer factor from this table's norms.

override SCALE_MODE: u32 = 0u;

struct SegSum { n: u32, L: u32, D: u32, offG: u32, ldG: u32, offScale: u32, clipSq: f32 }

@group(0) @binding(0) var<uniform> u: SegSum;
@group(0) @binding(1) var<storage, read> keys: array<u32>;
@group(0) @binding(2) var<storage, read> vals: array<u32>;
@group(0) @binding(3) var<storage, read> G: array<f32>;
@group(0) @binding(4) var<storage, read> scale: array<f32>;
@group(0) @binding(5) var<storage, read_write> rowGrad: array<f32>;

fn example_scale(b: u32) -> f32 {
  if (SCALE_MODE == 0u) { return 1.0; }
  return clip_scale(SCALE_MODE, scale[u.offScale + b], u.clipSq);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.n * u.D) { return; }
  let p = i / u.D;
  let d = i % u.D;
  let r = keys[p];
  if (!is_segment_head(p, r, keys[max(p, 1u) - 1u])) { return; }
  var acc = 0.0;
  var q = p;
  loop {
    if (q >= u.n || keys[q] != r) { break; }
    let b = vals[q] / u.L;
    acc += example_scale(b) * G[u.offG + b * u.ldG + d];
    q++;
  }
  rowGrad[p * u.D + d] = acc;
}
