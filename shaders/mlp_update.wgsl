// Update of one MLP tensor (parameter p): W -= lr / B * (grad + sigma C z), z ~ N(0, 1) from
// Philox at counter (i >> 2, p, step, 0x40000000). One thread per quad: one Philox call gives
// the four normals of indices 4q .. 4q+3.
//   NOISE 0: no noise (sgd); 1: fused (sampled here, reports under `update`);
//   2: unfused (read from the buffer that `sample` filled in the noise stage).

override NOISE: u32 = 0u;

struct Param { n: u32, p: u32 }

@group(0) @binding(0) var<uniform> u: Param;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> W: array<f32>;
@group(0) @binding(4) var<storage, read_write> noiseBuf: array<f32>;

@compute @workgroup_size(64)
fn update(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let q = g.x + g.y * nw.x * 64u; // 2-D grid past 65535 workgroups
  if (q * 4u >= u.n) { return; }
  var z = vec4f(0.0);
  if (NOISE == 1u) { z = st.noiseStd * noise_mlp(st.key, u.p, q, st.step); }
  let s = st.lr * st.invB;
  for (var j = 0u; j < 4u; j++) {
    let i = q * 4u + j;
    if (i >= u.n) { break; }
    var nz = z[j];
    if (NOISE == 2u) { nz = noiseBuf[i]; }
    W[i] -= s * (grad[i] + nz);
  }
}

@compute @workgroup_size(64)
fn sample(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let q = g.x + g.y * nw.x * 64u; // 2-D grid past 65535 workgroups
  if (q * 4u >= u.n) { return; }
  let z = st.noiseStd * noise_mlp(st.key, u.p, q, st.step);
  for (var j = 0u; j < 4u; j++) {
    let i = q * 4u + j;
    if (i < u.n) { noiseBuf[i] = z[j]; }
  }
}
