// The bandwidth yardstick of the benchmarks: every whole vec4 of a buffer read and written back
// in place, times `scale` (1 in the bench, so the data is unchanged; a multiply the compiler cannot
// drop). It moves the bytes the dense noise pass moves, with no Philox work.

struct Copy { n4: u32, scale: f32 }

@group(0) @binding(0) var<uniform> u: Copy;
@group(0) @binding(1) var<storage, read_write> X: array<vec4f>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.n4) { return; }
  X[i] = X[i] * u.scale;
}
