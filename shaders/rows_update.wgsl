// SGD on the rows the batch touched, and only those: E[r] -= lr / B * rowGrad (head positions of
// the sorted pairs carry one row each, so no two threads write the same row). One thread per
// (span, sorted position, column) (lib/spans.wgsl): a span's table has its n sorted pairs at
// keys[table * strideKeys ..] (and its row sums at the same positions of rowGrad); keys hold
// table rows, those outside the span (another shard's) are skipped.

struct Rows { n: u32, D: u32, strideKeys: u32 }

@group(0) @binding(0) var<uniform> u: Rows;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read> keys: array<u32>;
@group(0) @binding(3) var<storage, read> rowGrad: array<f32>;
@group(0) @binding(4) var<storage, read_write> E: array<f32>;

/** Thread i's span, global sorted position and column, and the stored row that position heads
 * (INVALID_ROW: not a segment head, padding, or another shard's row). */
struct Head { pos: u32, d: u32, stored: u32 }

fn head_of(i: u32) -> Head {
  let per = u.n * u.D;
  let s = spans[i / per];
  let p = (i % per) / u.D;
  let q = s.table * u.strideKeys + p;
  let r = keys[q];
  var stored = INVALID_ROW;
  if (is_segment_head(p, r, keys[max(q, 1u) - 1u])) {
    let rl = shard_row(r, s.rowStart, s.rows);
    if (rl != INVALID_ROW) { stored = s.base + rl; }
  }
  return Head(q, i % u.D, stored);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.n * u.D * span_count()) { return; }
  let h = head_of(i);
  if (h.stored == INVALID_ROW) { return; }
  E[h.stored * u.D + h.d] -= st.lr * st.invB * rowGrad[h.pos * u.D + h.d];
}

// Dense optimizers (shaders/table_optim.wgsl) need the rows' gradients in place: scatter each
// unique row's summed gradient into G (cleared by the optimizer pass after use).
@group(0) @binding(5) var<storage, read_write> G: array<f32>;

@compute @workgroup_size(WG)
fn scatter(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.n * u.D * span_count()) { return; }
  let h = head_of(i);
  if (h.stored == INVALID_ROW) { return; }
  G[h.stored * u.D + h.d] = rowGrad[h.pos * u.D + h.d];
}

// Micro-batches (src/engine/micro.ts): each micro-batch's row sums added into G, which holds the
// logical batch's sum until the step applies it (shaders/micro.wgsl) and clears it.
@compute @workgroup_size(WG)
fn scatter_add(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.n * u.D * span_count()) { return; }
  let h = head_of(i);
  if (h.stored == INVALID_ROW) { return; }
  G[h.stored * u.D + h.d] += rowGrad[h.pos * u.D + h.d];
}
