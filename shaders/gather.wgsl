// Embedding-bag forward: out[b, d] = sum_l E[idx[b, l], d] (sum pooling). Empty slots hold
// 0xffffffff; an index outside the table is skipped (the CPU rejects such data first).
// Writes into the feature buffer V at column offset offOut with row stride ldOut.
// A table larger than one binding is split into shards of consecutive rows (rowStart ..
// rowStart + rows); each shard sums the bag's indices that fall in it, the first shard writes and
// the others add (accumulate = 1), one dispatch after another, so the result stays deterministic.

struct Gather { B: u32, L: u32, D: u32, rows: u32, offIdx: u32, offOut: u32, ldOut: u32, rowStart: u32, accumulate: u32 }

@group(0) @binding(0) var<uniform> u: Gather;
@group(0) @binding(1) var<storage, read> E: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<u32>;
@group(0) @binding(3) var<storage, read_write> outV: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.B * u.D) { return; }
  let b = i / u.D;
  let d = i % u.D;
  var acc = 0.0;
  for (var l = 0u; l < u.L; l++) {
    let r = shard_row(idx[u.offIdx + b * u.L + l], u.rowStart, u.rows);
    if (r != INVALID_ROW) { acc += E[r * u.D + d]; }
  }
  let o = u.offOut + b * u.ldOut + d;
  if (u.accumulate != 0u) { outV[o] += acc; } else { outV[o] = acc; }
}
