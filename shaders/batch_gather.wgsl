// The batch from the data set that lives on the GPU: a step uploads only its example ids, this
// copies each example's dense features, bag indices and label into the padded batch the other
// kernels read, and writes the mask. The output layout is that of `assemble` (src/kernels/
// batch-gather.ts, the CPU reference): dense [B, F], idx [T, B, L] at t*B*L + i*L + j, labels and
// mask [B]. Slot i past the batch's count holds the sentinel INVALID_ROW in `ids` (so the uniform
// never changes and a step writes one buffer): an empty bag (INVALID_ROW), zero features and
// label, mask 0. An id past the data set (n) is padding too, never an out-of-bounds read.
// Everything is copied as u32 bits (the f32 buffers included): no float operation can flush a
// subnormal or change a NaN, so the batch equals the CPU one bit for bit.
// Entry `main` writes the whole batch; `indices` only idx and mask (LazyDP's lookahead batch).

struct BatchGather { B: u32, T: u32, L: u32, F: u32, n: u32 }

@group(0) @binding(0) var<uniform> u: BatchGather;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> dataDense: array<u32>; // [n, F] f32 bits
@group(0) @binding(3) var<storage, read> dataIdx: array<u32>; // [T, n, L]
@group(0) @binding(4) var<storage, read> dataLabels: array<u32>; // [n] f32 bits
@group(0) @binding(5) var<storage, read_write> dense: array<u32>;
@group(0) @binding(6) var<storage, read_write> idx: array<u32>;
@group(0) @binding(7) var<storage, read_write> labels: array<u32>;
@group(0) @binding(8) var<storage, read_write> mask: array<u32>;

const ONE_F32: u32 = 0x3f800000u; // 1.0

// The data set's example in batch slot i, or INVALID_ROW for padding.
fn example(i: u32) -> u32 {
  let e = ids[i];
  if (e >= u.n) { return INVALID_ROW; }
  return e;
}

// Element k of idx (k < T*B*L).
fn copy_index(k: u32) {
  let per = u.B * u.L;
  let t = k / per;
  let i = (k % per) / u.L;
  let j = k % u.L;
  let e = example(i);
  var r = INVALID_ROW;
  if (e != INVALID_ROW) { r = dataIdx[(t * u.n + e) * u.L + j]; }
  idx[k] = r;
}

fn write_mask(i: u32) {
  mask[i] = select(0u, ONE_F32, example(i) != INVALID_ROW);
}

// Threads: T*B*L indices, then B*F dense values, then B labels with their mask.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let k = global_index(g, nw);
  let nIdx = u.T * u.B * u.L;
  let nDense = u.B * u.F;
  if (k < nIdx) {
    copy_index(k);
    return;
  }
  if (k < nIdx + nDense) {
    let q = k - nIdx;
    let e = example(q / u.F);
    var v = 0u;
    if (e != INVALID_ROW) { v = dataDense[e * u.F + q % u.F]; }
    dense[q] = v;
    return;
  }
  let i = k - nIdx - nDense;
  if (i >= u.B) { return; }
  let e = example(i);
  var y = 0u;
  if (e != INVALID_ROW) { y = dataLabels[e]; }
  labels[i] = y;
  write_mask(i);
}

// Threads: T*B*L indices, then B mask values.
@compute @workgroup_size(WG)
fn indices(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let k = global_index(g, nw);
  let nIdx = u.T * u.B * u.L;
  if (k < nIdx) {
    copy_index(k);
    return;
  }
  let i = k - nIdx;
  if (i < u.B) { write_mask(i); }
}
