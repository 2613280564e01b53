// Eager DP-SGD on a table: every row gets fresh noise every step, E -= lr / B * sigma C z with
// z from Philox at counter (c >> 2, r, step, t). This dense pass over the whole table is the cost
// LazyDP removes.
//   fused:  sample and write in one pass (reported under `update`)
//   sample: write sigma C z to a noise buffer, bound as E (the `noise`
//           stage of the unfused variant)
//   add:    E -= lr / B * noise (its `update` stage)
// E holds the rows of the dispatch's spans (lib/spans.wgsl: one shard, one table, or every table
// packed in one buffer, then one dispatch for all); counters use the table's row number, so a
// split or packed table draws exactly the noise of one on its own. `rows`: stored rows up to the
// end of the last span; rows between spans (padding) are left alone.

struct Table { rows: u32, D: u32, quads: u32 }

// The table row of stored row g and its table, or none (padding between packed tables).
struct RowOf { table: u32, row: u32, ok: bool }

fn row_of(g: u32) -> RowOf {
  let k = span_of(g);
  if (k == span_count()) { return RowOf(0u, 0u, false); }
  let s = spans[k];
  return RowOf(s.table, s.rowStart + (g - s.base), true);
}

@group(0) @binding(0) var<uniform> u: Table;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(3) var<storage, read_write> E: array<f32>;

@compute @workgroup_size(WG)
fn fused(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.rows * u.quads) { return; }
  let r = i / u.quads;
  let q = i % u.quads;
  let at = row_of(r);
  if (!at.ok) { return; }
  let z = noise_eager(st.key, at.table, at.row, q, st.step);
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
  let at = row_of(r);
  if (!at.ok) { return; }
  let z = st.noiseStd * noise_eager(st.key, at.table, at.row, q, st.step);
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

// Dense variants, used when D % 4 == 0 (then a row's quad q is the vec4 at r * quads + q; for
// other D the scalar entries above handle the ragged last quad). Same draws and the same f32
// operations per value as the scalar entries, so the results are identical bit for bit. Each
// thread takes QPT quads, WG apart (a workgroup's loads stay contiguous), and issues all its loads
// before the Philox rounds so that memory latency overlaps the arithmetic. E4 and noise4 alias
// the bindings of E and noiseBuf: no entry point uses both names.
const QPT = 4u; // quads per thread: QUADS_PER_THREAD in src/kernels/noise.ts

@group(0) @binding(3) var<storage, read_write> E4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> noise4: array<vec4<f32>>;

// The k-th quad of this thread: workgroup w covers quads w * WG * QPT .. (w + 1) * WG * QPT.
fn quad_index(g: vec3u, nw: vec3u, k: u32) -> u32 {
  let i = global_index(g, nw);
  return (i / WG) * WG * QPT + k * WG + i % WG;
}

@compute @workgroup_size(WG)
fn fused4(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let n = u.rows * u.quads;
  var e: array<vec4<f32>, QPT>;
  for (var k = 0u; k < QPT; k++) {
    let i = quad_index(g, nw, k);
    if (i < n) { e[k] = E4[i]; }
  }
  let s = st.lr * st.invB * st.noiseStd;
  for (var k = 0u; k < QPT; k++) {
    let i = quad_index(g, nw, k);
    if (i < n) {
      let r = i / u.quads;
      let at = row_of(r);
      if (at.ok) { E4[i] = e[k] - s * noise_eager(st.key, at.table, at.row, i - r * u.quads, st.step); }
    }
  }
}

@compute @workgroup_size(WG)
fn sample4(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let n = u.rows * u.quads;
  for (var k = 0u; k < QPT; k++) {
    let i = quad_index(g, nw, k);
    if (i < n) {
      let r = i / u.quads;
      let at = row_of(r);
      if (at.ok) { E4[i] = st.noiseStd * noise_eager(st.key, at.table, at.row, i - r * u.quads, st.step); }
    }
  }
}

@compute @workgroup_size(WG)
fn add4(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let n = u.rows * u.quads;
  var e: array<vec4<f32>, QPT>;
  var z: array<vec4<f32>, QPT>;
  for (var k = 0u; k < QPT; k++) {
    let i = quad_index(g, nw, k);
    if (i < n) { e[k] = E4[i]; z[k] = noise4[i]; }
  }
  for (var k = 0u; k < QPT; k++) {
    let i = quad_index(g, nw, k);
    if (i < n) { E4[i] = e[k] - st.lr * st.invB * z[k]; }
  }
}
