// Flat clipping: c_i = min(1, C / ||g_i||) over all layers and tables, times the example's mask
// so padding rows contribute nothing. norms holds one row of B squared norms per layer group.

struct Clip { B: u32, groups: u32, clipSq: f32 }

@group(0) @binding(0) var<uniform> u: Clip;
@group(0) @binding(1) var<storage, read> norms: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<f32>;
@group(0) @binding(3) var<storage, read_write> factors: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let b = global_index(g, nw);
  if (b >= u.B) { return; }
  var total = 0.0;
  for (var k = 0u; k < u.groups; k++) { total += norms[k * u.B + b]; }
  // written so that a NaN norm (a diverged step) never yields factor 1: only a norm known to be
  // within C passes unscaled
  var c = 1.0;
  if (!(total <= u.clipSq)) { c = sqrt(u.clipSq / total); }
  factors[b] = c * mask[b];
}
