// Bias gradient: db[j] = sum_i s(i) G[i, j], summed in example order (deterministic).
// s(i) as in matmul.wgsl: 1, the flat clip factor, or the per-layer factor from the layer norm.
// The training step no longer runs it: wgrad.wgsl sums the bias as a column of ones.

override SCALE_MODE: u32 = 0u;

struct ColSum { B: u32, N: u32, offG: u32, ldG: u32, offScale: u32, clipSq: f32 }

@group(0) @binding(0) var<uniform> u: ColSum;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn example_scale(k: u32) -> f32 {
  if (SCALE_MODE == 0u) { return 1.0; }
  return clip_scale(SCALE_MODE, scale[u.offScale + k], u.clipSq);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let j = global_index(g, nw);
  if (j >= u.N) { return; }
  var acc = 0.0;
  for (var i = 0u; i < u.B; i++) { acc += example_scale(i) * G[u.offG + i * u.ldG + j]; }
  out[j] = acc;
}
