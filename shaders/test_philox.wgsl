// Test kernels for shaders/lib/philox.wgsl (prepend the library). Each entry point reads vec4
// rows from `inp` and writes results the test compares with src/noise/philox.ts.

struct Params {
  key: vec2<u32>,
  n: u32,     // number of rows of `inp` (or of generated counters for `stats`)
  step: u32,  // step s for `stats`
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> inp: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> words: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read_write> normals: array<vec4<f32>>;

// 2-D dispatch so large N stays under maxComputeWorkgroupsPerDimension.
fn row_index(g: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return g.x + g.y * nwg.x * 64u;
}

// inp = counters -> 4 Philox words and their 4 normals.
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = row_index(g, nwg);
  if (i >= params.n) { return; }
  let w = philox4x32_10(inp[i], params.key);
  words[i] = w;
  normals[i] = philox_normals4(w);
}

// inp = raw words (no Philox) -> their uniforms in `normals` and Box-Muller normals in
// `normals[n + i]`, to probe the worst-case words 0 and 0xffffffff directly.
@compute @workgroup_size(64)
fn raw(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = row_index(g, nwg);
  if (i >= params.n) { return; }
  let w = inp[i];
  normals[i] = vec4<f32>(philox_u01(w.x), philox_u01(w.y), philox_u01(w.z), philox_u01(w.w));
  normals[params.n + i] = philox_normals4(w);
}

// inp = (table, row, col, step) -> the quads holding column col from the three addressing
// helpers: normals[3i] eager, [3i+1] lazy (t_now = step), [3i+2] MLP (param = table, index = col).
@compute @workgroup_size(64)
fn addressing(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = row_index(g, nwg);
  if (i >= params.n) { return; }
  let a = inp[i];
  normals[3u * i] = noise_eager(params.key, a.x, a.y, a.z >> 2u, a.w);
  normals[3u * i + 1u] = noise_lazy(params.key, a.x, a.y, a.z >> 2u, a.w);
  normals[3u * i + 2u] = noise_mlp(params.key, a.x, a.z >> 2u, a.w);
}

// Eager noise of table 0 at step params.step for a 1024-quad-wide table (4096 columns):
// quad i & 1023 of row i >> 10, written in counter order, for the distribution tests.
@compute @workgroup_size(64)
fn stats(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = row_index(g, nwg);
  if (i >= params.n) { return; }
  normals[i] = noise_eager(params.key, 0u, i >> 10u, i & 1023u, params.step);
}
