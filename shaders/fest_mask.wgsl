// DP-FEST on the GPU: only the rows chosen before training (per table, sorted ascending in
// `selected`, kcap slots per table, INVALID_ROW after the last) are trained and noised.
//   mask:           idxOut = idx with every unselected row replaced by INVALID_ROW. The forward
//                   pass reads idx (every row keeps its value); the per-example norms and the sort
//                   read idxOut, so an unselected row's gradient is dropped before clipping and
//                   never reaches a sum.
//   noise_selected: E -= lr / B * sigma C z on every selected row (touched or not) with DP-SGD's
//                   eager draw, counter (c >> 2, r, step, t); with the masked pairs' sparse SGD
//                   (rows_update.wgsl) this is DP-SGD restricted to the selected rows.
// docs/algorithms-fest.md.

struct FestMask { used: u32, tables: u32, offIdx: u32, strideIdx: u32, kcap: u32, D: u32, quads: u32 }

@group(0) @binding(0) var<uniform> u: FestMask;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read> idx: array<u32>;
@group(0) @binding(3) var<storage, read> selected: array<u32>;
@group(0) @binding(4) var<storage, read_write> idxOut: array<u32>;
@group(0) @binding(5) var<storage, read_write> E: array<f32>;

// Whether row r is among table t's selected rows (binary search; INVALID_ROW pads the end).
fn is_selected(t: u32, r: u32) -> bool {
  var lo = t * u.kcap;
  let end = lo + u.kcap;
  var hi = end;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (selected[mid] < r) { lo = mid + 1u; } else { hi = mid; }
  }
  return r != INVALID_ROW && lo < end && selected[lo] == r;
}

@compute @workgroup_size(WG)
fn mask(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.used * u.tables) { return; }
  let t = i / u.used;
  let at = u.offIdx + t * u.strideIdx + i % u.used;
  let r = idx[at];
  idxOut[at] = select(INVALID_ROW, r, is_selected(t, r));
}

@compute @workgroup_size(WG)
fn noise_selected(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  let per = u.kcap * u.quads;
  if (i >= per * span_count()) { return; }
  let s = spans[i / per];
  let r = selected[s.table * u.kcap + (i % per) / u.quads];
  if (r == INVALID_ROW) { return; }
  let rl = shard_row(r, s.rowStart, s.rows);
  if (rl == INVALID_ROW) { return; }
  let q = i % u.quads;
  let z = noise_eager(st.key, s.table, r, q, st.step);
  for (var j = 0u; j < 4u; j++) {
    let c = q * 4u + j;
    if (c < u.D) { E[(s.base + rl) * u.D + c] -= st.lr * st.invB * st.noiseStd * z[j]; }
  }
}
