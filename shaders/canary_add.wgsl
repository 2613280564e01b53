// AUDIT ONLY (src/audit/canary.ts): white-box gradient canaries. Canary j owns row first + j of
// this table, which no real example touches; when it is in the training set and sampled this
// step, its per-example gradient C·u_j (norm C: exactly at the clip bound) is applied as SGD
// applies a clipped row sum, E[row] -= lr / B · C · u_j. The table's noise reaches these rows
// like any other (eager: every row; lazy: at the flush), so the canary is clipped and noised like
// an example. ids[0] is the number of sampled canaries this step, ids[1 ..] their indices.

struct Canary { m: u32, D: u32, table: u32, first: u32, rowStart: u32, rows: u32, clip: f32 }

@group(0) @binding(0) var<uniform> u: Canary;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read> dirs: array<f32>;
@group(0) @binding(4) var<storage, read_write> E: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  let k = i / u.D;
  let d = i % u.D;
  if (k >= min(ids[0], u.m)) { return; }
  let j = ids[1u + k];
  if (j >= u.m) { return; }
  let rl = shard_row(u.first + j, u.rowStart, u.rows);
  if (rl == INVALID_ROW) { return; }
  // distinct canaries own distinct rows: no two threads write one value
  E[rl * u.D + d] -= st.lr * st.invB * u.clip * dirs[(u.table * u.m + j) * u.D + d];
}
