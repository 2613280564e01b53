// Dense optimizer pass over a table shard, for tableOptimizer momentum or adam, or weight decay
// (sgd and dpsgd only): every row moves every step, because the optimizer's state and the decay
// do. That is why LazyDP refuses them. For each value, with G the step's summed (clipped) row
// gradients scattered into a dense buffer and z eager DP-SGD's noise at its usual counter:
//   g = invB (G + noiseStd z) + wd W                   (coupled weight decay, as torch.optim)
//   sgd:      W -= lr g
//   momentum: m = mu m + g;  W -= lr m                 (torch.optim.SGD, dampening 0)
//   adam:     m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  W -= lr (m c1) / (sqrt(v c2) + eps)
// with the bias corrections c1 = 1/(1-b1^t), c2 = 1/(1-b2^t) written per step. G is cleared as
// it is read, ready for the next step's scatter. One thread per 4 values of a row (a Philox call).
// NOISE: 0 none (sgd), 1 sample here (fused), 2 read noiseStd z from noiseBuf (unfused).

override NOISE: u32 = 0u;

struct Shard { rows: u32, D: u32, quads: u32, table: u32, rowStart: u32 }

@group(0) @binding(0) var<uniform> u: Shard;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<uniform> o: Optim;
@group(0) @binding(3) var<storage, read> noiseBuf: array<f32>;
@group(0) @binding(4) var<storage, read_write> E: array<f32>;
@group(0) @binding(5) var<storage, read_write> G: array<f32>;
@group(0) @binding(6) var<storage, read_write> M: array<f32>;
@group(0) @binding(7) var<storage, read_write> V: array<f32>;

/** The gradient estimate of 4 values of row r (quad q), and G cleared behind it. */
fn grads(r: u32, q: u32) -> vec4f {
  var z = vec4f(0.0);
  if (NOISE == 1u) { z = st.noiseStd * noise_eager(st.key, u.table, u.rowStart + r, q, st.step); }
  var g = vec4f(0.0);
  for (var j = 0u; j < 4u; j++) {
    let c = q * 4u + j;
    if (c >= u.D) { break; }
    let i = r * u.D + c;
    var zj = z[j];
    if (NOISE == 2u) { zj = noiseBuf[i]; }
    g[j] = st.invB * (G[i] + zj) + o.wd * E[i];
    G[i] = 0.0;
  }
  return g;
}

@compute @workgroup_size(WG)
fn sgd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(gid, nw);
  if (i >= u.rows * u.quads) { return; }
  let r = i / u.quads;
  let q = i % u.quads;
  let g = grads(r, q);
  for (var j = 0u; j < 4u; j++) {
    let c = q * 4u + j;
    if (c < u.D) { E[r * u.D + c] -= st.lr * g[j]; }
  }
}

@compute @workgroup_size(WG)
fn momentum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(gid, nw);
  if (i >= u.rows * u.quads) { return; }
  let r = i / u.quads;
  let q = i % u.quads;
  let g = grads(r, q);
  for (var j = 0u; j < 4u; j++) {
    let c = q * 4u + j;
    if (c >= u.D) { break; }
    let k = r * u.D + c;
    M[k] = momentum_update(o, M[k], g[j]);
    E[k] -= st.lr * M[k];
  }
}

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(gid, nw);
  if (i >= u.rows * u.quads) { return; }
  let r = i / u.quads;
  let q = i % u.quads;
  let g = grads(r, q);
  for (var j = 0u; j < 4u; j++) {
    let c = q * 4u + j;
    if (c >= u.D) { break; }
    let k = r * u.D + c;
    let a = adam_update(o, M[k], V[k], g[j]);
    M[k] = a.x;
    V[k] = a.y;
    E[k] -= st.lr * a.z;
  }
}
