// Update of the MLP parameters, all tensors in one dispatch, with g = (grad + sigma C z) / B,
// z ~ N(0, 1) from Philox at counter (i >> 2, p, step, 0x40000000) for element i of the tensor
// with parameter number p. The tensors lie packed in one buffer (params, grads, noise and
// state alike); u.segs lists them, and one thread per quad of a tensor (its own quad numbering,
// so the draws are those of a tensor updated alone): one Philox call gives the four normals of
// its indices 4q .. 4q+3.
//   update:   W -= lr g                                   (mlpOptimizer sgd)
//   momentum, adam: as the tables' (momentum_update, adam_update in lib/optim.wgsl)
// The state is post-processing of the noisy gradient: the privacy is the same.
//   NOISE 0: no noise (sgd); 1: fused (sampled here, reports under `update`);
//   2: unfused (read from the buffer that `sample` filled in the noise stage).

override NOISE: u32 = 0u;

// segs[s] = (first quad, first element, values, Philox parameter) of tensor s, by first quad;
// at most 40 tensors (MLP_MAX_TENSORS in src/kernels/noise.ts).
struct MlpUpdate { quads: u32, count: u32, segs: array<vec4u, 40> }

@group(0) @binding(0) var<uniform> u: MlpUpdate;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<uniform> o: Optim;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> W: array<f32>;
@group(0) @binding(5) var<storage, read_write> noiseBuf: array<f32>;
@group(0) @binding(6) var<storage, read_write> M: array<f32>;
@group(0) @binding(7) var<storage, read_write> V: array<f32>;

/** Quad q of a tensor: its first element in the buffers, its count (1..4), parameter and quad. */
struct Quad { first: u32, count: u32, p: u32, q: u32 }

/** The tensor thread t falls in (binary search over first quads) and its quad there. */
fn quad_of(t: u32) -> Quad {
  var lo = 0u;
  var hi = u.count - 1u;
  while (lo < hi) {
    let mid = (lo + hi + 1u) / 2u;
    if (u.segs[mid].x <= t) { lo = mid; } else { hi = mid - 1u; }
  }
  let s = u.segs[lo];
  let q = t - s.x;
  return Quad(s.y + q * 4u, min(4u, s.z - q * 4u), s.w, q);
}

/** The noisy gradient estimate of the quad's values (past its count: 0). */
fn grads(a: Quad) -> vec4f {
  var z = vec4f(0.0);
  if (NOISE == 1u) { z = st.noiseStd * noise_mlp(st.key, a.p, a.q, st.step); }
  var g = vec4f(0.0);
  for (var j = 0u; j < a.count; j++) {
    let i = a.first + j;
    var nz = z[j];
    if (NOISE == 2u) { nz = noiseBuf[i]; }
    g[j] = st.invB * (grad[i] + nz);
  }
  return g;
}

@compute @workgroup_size(WG)
fn momentum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let t = global_index(gid, nw);
  if (t >= u.quads) { return; }
  let a = quad_of(t);
  let g = grads(a);
  for (var j = 0u; j < a.count; j++) {
    let i = a.first + j;
    M[i] = momentum_update(o, M[i], g[j]);
    W[i] -= st.lr * M[i];
  }
}

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let t = global_index(gid, nw);
  if (t >= u.quads) { return; }
  let a = quad_of(t);
  let g = grads(a);
  for (var j = 0u; j < a.count; j++) {
    let i = a.first + j;
    let r = adam_update(o, M[i], V[i], g[j]);
    M[i] = r.x;
    V[i] = r.y;
    W[i] -= st.lr * r.z;
  }
}

@compute @workgroup_size(WG)
fn update(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let t = global_index(g, nw);
  if (t >= u.quads) { return; }
  let a = quad_of(t);
  var z = vec4f(0.0);
  if (NOISE == 1u) { z = st.noiseStd * noise_mlp(st.key, a.p, a.q, st.step); }
  let s = st.lr * st.invB;
  for (var j = 0u; j < a.count; j++) {
    let i = a.first + j;
    var nz = z[j];
    if (NOISE == 2u) { nz = noiseBuf[i]; }
    W[i] -= s * (grad[i] + nz);
  }
}

@compute @workgroup_size(WG)
fn sample(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let t = global_index(g, nw);
  if (t >= u.quads) { return; }
  let a = quad_of(t);
  let z = st.noiseStd * noise_mlp(st.key, a.p, a.q, st.step);
  for (var j = 0u; j < a.count; j++) { noiseBuf[a.first + j] = z[j]; }
}
