// In-place ReLU backward on a strided view: G[b, j] *= (act[b, j] > 0). Used where the gradient
// view is part of a wider buffer (the bottom MLP's output inside the feature gradient dV).

struct Relu { rows: u32, cols: u32, offG: u32, ldG: u32, offAct: u32, ldAct: u32 }

@group(0) @binding(0) var<uniform> u: Relu;
@group(0) @binding(1) var<storage, read> act: array<f32>;
@group(0) @binding(2) var<storage, read_write> G: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.rows * u.cols) { return; }
  let b = i / u.cols;
  let j = i % u.cols;
  if (act[u.offAct + b * u.ldAct + j] <= 0.0) { G[u.offG + b * u.ldG + j] = 0.0; }
}
