// Eager DP-SGD on a table: every row gets fresh noise every step, E -= lr / B * sigma C z with
// z from Philox at counter (c >> 2, r, step, t). This dense pass over the whole table is the cost
// LazyDP removes.
//   fused:  sample and write in one pass (reported under `update`)
//   sample: write sigma C z to a noise buffer, bound as E (the `noise`
//           stage of the unfused variant)
//   add:    E -= lr / B * noise (its `update` stage)
// E is the shard of rows rowStart .. rowStart + rows: counters use the table's row number, so a
// split table draws exactly the noise of an unsplit one.

struct Table { rows: u32, D: u32, quads: u32, table: u32, rowStart: u32 }

@group(0) @binding(0) var<uniform> u: Table;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(3) var<storage, read_write> E: array<f32>;

@compute @workgroup_size(WG)
fn fused(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.rows * u.quads) { return; }
  let r = i / u.quads;
  let q = i % u.quads;
  let z = noise_eager(st.key, u.table, u.rowStart + r, q, st.step);
  let s = st.lr * st.invB * st.noiseStd;
  for (var j = 0u; j < 4u; j++) {
    let c = q * 4u + j;
    if (c < u.D) { E[r * u.D + c] -= s * z[j]; }
  }
}

@compute @workgroup_size(WG)
fn sample(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.rows * u.quads) { return; }
  let r = i / u.quads;
  let q = i % u.quads;
  let z = st.noiseStd * noise_eager(st.key, u.table, u.rowStart + r, q, st.step);
  for (var j = 0u; j < 4u; j++) {
    let c = q * 4u + j;
    if (c < u.D) { E[r * u.D + c] = z[j]; }
  }
}

@group(0) @binding(2) var<storage, read> noiseBuf: array<f32>;

@compute @workgroup_size(WG)
fn add(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.rows * u.D) { return; }
  E[i] -= st.lr * st.invB * noiseBuf[i];
}
