// SGD on the rows the batch touched, and only those: E[r] -= lr / B * rowGrad (head positions of
// the sorted pairs carry one row each, so no two threads write the same row). E is the shard of
// rows rowStart .. rowStart + rows; keys hold table rows, those of other shards are skipped.


struct Rows { n: u32, D: u32, rowStart: u32, rows: u32 }

@group(0) @binding(0) var<uniform> u: Rows;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read> keys: array<u32>;
@group(0) @binding(3) var<storage, read> rowGrad: array<f32>;
@group(0) @binding(4) var<storage, read_write> E: array<f32>;

/** The row (within this shard) that sorted position p heads, or INVALID_ROW: not a segment head, padding, or another shard's row. */
fn head_row(p: u32) -> u32 {
  let r = keys[p];
  if (!is_segment_head(p, r, keys[max(p, 1u) - 1u])) { return INVALID_ROW; }
  return shard_row(r, u.rowStart, u.rows);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.n * u.D) { return; }
  let p = i / u.D;
  let d = i % u.D;
  let rl = head_row(p);
  if (rl == INVALID_ROW) { return; }
  E[rl * u.D + d] -= st.lr * st.invB * rowGrad[p * u.D + d];
}

// Dense optimizers (shaders/table_optim.wgsl) need the rows' gradients in place: scatter each
// unique row's summed gradient into G (cleared by the optimizer pass after use).
@group(0) @binding(5) var<storage, read_write> G: array<f32>;

@compute @workgroup_size(WG)
fn scatter(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.n * u.D) { return; }
  let p = i / u.D;
  let d = i % u.D;
  let rl = head_row(p);
  if (rl == INVALID_ROW) { return; }
  G[rl * u.D + d] = rowGrad[p * u.D + d];
}
