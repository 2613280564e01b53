// Per-example squared gradient norm of a linear layer without the per-example gradient:
// ||dW_i||^2 + ||db_i||^2 = ||a_i||^2 ||g_i||^2 + ||g_i||^2 (a_i input row, g_i output gradient).

struct LayerNorm { B: u32, inDim: u32, outDim: u32, offA: u32, ldA: u32, offG: u32, ldG: u32, offN: u32 }

@group(0) @binding(0) var<uniform> u: LayerNorm;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read_write> norms: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let b = global_index(g, nw);
  if (b >= u.B) { return; }
  var a2 = 0.0;
  for (var k = 0u; k < u.inDim; k++) { let v = A[u.offA + b * u.ldA + k]; a2 += v * v; }
  var g2 = 0.0;
  for (var j = 0u; j < u.outDim; j++) { let v = G[u.offG + b * u.ldG + j]; g2 += v * v; }
  norms[u.offN + b] = (a2 + 1.0) * g2;
}
