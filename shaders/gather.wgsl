// Embedding-bag forward: out[b, d] = sum_l E[idx[b, l], d] (sum pooling). Empty slots hold
// 0xffffffff; an index outside the table is skipped (the CPU rejects such data first).
// One thread per (span, example, column): every table packed in one buffer is one dispatch
// (lib/spans.wgsl). Table t's indices start at offIdx + t*strideIdx, its columns of the feature
// buffer V at offOut + t*strideOut (row stride ldOut).
// A table larger than one binding is split into shards of consecutive rows, one span each; each
// shard sums the bag's indices that fall in it, the first shard writes and the others add
// (accumulate = 1), one dispatch after another, so the result stays deterministic.

struct Gather { B: u32, L: u32, D: u32, offIdx: u32, strideIdx: u32, offOut: u32, strideOut: u32, ldOut: u32, accumulate: u32 }

@group(0) @binding(0) var<uniform> u: Gather;
@group(0) @binding(1) var<storage, read> E: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<u32>;
@group(0) @binding(3) var<storage, read_write> outV: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  let per = u.B * u.D;
  if (i >= per * span_count()) { return; }
  let s = spans[i / per];
  let b = (i % per) / u.D;
  let d = i % u.D;
  let base = u.offIdx + s.table * u.strideIdx + b * u.L;
  var acc = 0.0;
  for (var l = 0u; l < u.L; l++) {
    let r = shard_row(idx[base + l], s.rowStart, s.rows);
    if (r != INVALID_ROW) { acc += E[(s.base + r) * u.D + d]; }
  }
  let o = u.offOut + s.table * u.strideOut + b * u.ldOut + d;
  if (u.accumulate != 0u) { outV[o] += acc; } else { outV[o] = acc; }
}
