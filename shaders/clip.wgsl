// Flat clipping: c_i = min(1, C / ||g_i||) over all layers and tables, times the example's mask
// so padding rows contribute nothing. norms holds one row of B squared norms per layer group.

struct Clip { B: u32, groups: u32, clipSq: f32 }

@group(0) @binding(0) var<uniform> u: Clip;
@group(0) @binding(1) var<storage, read> norms: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<f32>;
@group(0) @binding(3) var<storage, read_write> factors: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let b = g.x;
  if (b >= u.B) { return; }
  var total = 0.0;
  for (var k = 0u; k < u.groups; k++) { total += norms[k * u.B + b]; }
  var c = 1.0;
  if (total > u.clipSq) { c = sqrt(u.clipSq / total); }
  factors[b] = c * mask[b];
}
