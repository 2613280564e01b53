// Update of one MLP tensor (parameter p) with g = (grad + sigma C z) / B, z ~ N(0, 1) from
// Philox at counter (i >> 2, p, step, 0x40000000). One thread per quad: one Philox call gives
// the four normals of indices 4q .. 4q+3.
//   update:   W -= lr g                                   (mlpOptimizer sgd)
//   momentum, adam: as the tables' (momentum_update, adam_update in lib/optim.wgsl)
// The state is post-processing of the noisy gradient: the privacy is the same.
//   NOISE 0: no noise (sgd); 1: fused (sampled here, reports under `update`);
//   2: unfused (read from the buffer that `sample` filled in the noise stage).

override NOISE: u32 = 0u;

struct Param { n: u32, p: u32 }

@group(0) @binding(0) var<uniform> u: Param;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<uniform> o: Optim;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> W: array<f32>;
@group(0) @binding(5) var<storage, read_write> noiseBuf: array<f32>;
@group(0) @binding(6) var<storage, read_write> M: array<f32>;
@group(0) @binding(7) var<storage, read_write> V: array<f32>;

/** The noisy gradient estimate of indices 4q .. 4q+3 (past n: 0). */
fn grads(q: u32) -> vec4f {
  var z = vec4f(0.0);
  if (NOISE == 1u) { z = st.noiseStd * noise_mlp(st.key, u.p, q, st.step); }
  var g = vec4f(0.0);
  for (var j = 0u; j < 4u; j++) {
    let i = q * 4u + j;
    if (i >= u.n) { break; }
    var nz = z[j];
    if (NOISE == 2u) { nz = noiseBuf[i]; }
    g[j] = st.invB * (grad[i] + nz);
  }
  return g;
}

@compute @workgroup_size(WG)
fn momentum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let q = global_index(gid, nw);
  if (q * 4u >= u.n) { return; }
  let g = grads(q);
  for (var j = 0u; j < 4u; j++) {
    let i = q * 4u + j;
    if (i >= u.n) { break; }
    M[i] = momentum_update(o, M[i], g[j]);
    W[i] -= st.lr * M[i];
  }
}

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let q = global_index(gid, nw);
  if (q * 4u >= u.n) { return; }
  let g = grads(q);
  for (var j = 0u; j < 4u; j++) {
    let i = q * 4u + j;
    if (i >= u.n) { break; }
    let a = adam_update(o, M[i], V[i], g[j]);
    M[i] = a.x;
    V[i] = a.y;
    W[i] -= st.lr * a.z;
  }
}

@compute @workgroup_size(WG)
fn update(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let q = global_index(g, nw);
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

@compute @workgroup_size(WG)
fn sample(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let q = global_index(g, nw);
  if (q * 4u >= u.n) { return; }
  let z = st.noiseStd * noise_mlp(st.key, u.p, q, st.step);
  for (var j = 0u; j < 4u; j++) {
    let i = q * 4u + j;
    if (i < u.n) { noiseBuf[i] = z[j]; }
  }
}
