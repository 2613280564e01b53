// BROKEN ON PURPOSE, for the privacy audit only (src/audit/): the classic sparse DP-SGD bug,
// "noise only on the rows the batch touched". Each unique row of this step's batch (the heads of
// its sorted pairs) gets this step's eager draw, E -= lr / B * sigma C z with z from Philox at
// (c >> 2, r, step, t); every other row gets none, so a row no example used never moves and
// gives away that no example used it. It replaces eager DP-SGD's dense noise pass in an audit
// run with --flaw noise-touched-rows-only; `train` and exported models never use it.

struct Touched { n: u32, rows: u32, D: u32, quads: u32, table: u32, rowStart: u32 }

@group(0) @binding(0) var<uniform> u: Touched;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read> keys: array<u32>;
@group(0) @binding(3) var<storage, read_write> E: array<f32>;

@compute @workgroup_size(WG)
fn touched(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let p = global_index(g, nw);
  if (p >= u.n) { return; }
  let r = keys[p];
  var prev = 0u;
  if (p > 0u) { prev = keys[p - 1u]; }
  if (!is_segment_head(p, r, prev)) { return; }
  let rl = shard_row(r, u.rowStart, u.rows);
  if (rl == INVALID_ROW) { return; }
  let s = st.lr * st.invB * st.noiseStd;
  for (var q = 0u; q < u.quads; q++) {
    let z = noise_eager(st.key, u.table, r, q, st.step);
    for (var j = 0u; j < 4u; j++) {
      let c = q * 4u + j;
      if (c < u.D) { E[rl * u.D + c] -= s * z[j]; }
    }
  }
}
