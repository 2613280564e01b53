// DP-AdaFEST's sparse noisy update (SGD), E -= lr / B * (g + sigma2 C2 z) on the selected rows only:
//   touched:   rows the batch touched whose noisy count crossed tau (sel = 1 at the row's head in
//              the sorted pairs), g their clipped gradient sum (rowGrad at the head, segsum.wgsl)
//   untouched: rows that crossed without being touched (crossed, fest_cross.wgsl), g = 0
// z is DP-SGD's own eager draw for (table, row, column, step): counter (c >> 2, r, step, t).
// Every other row is left alone, its gradient (if any) dropped. One thread per row and quad of
// columns; rows are placed by spans (lib/spans.wgsl), like rows_update.wgsl. One row is never
// both (crossed holds untouched rows only), so no two threads write one value.

struct FestUpdate { n: u32, D: u32, quads: u32, strideKeys: u32, cap: u32 }

@group(0) @binding(0) var<uniform> u: FestUpdate;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read> keys: array<u32>;
@group(0) @binding(3) var<storage, read> rowGrad: array<f32>;
@group(0) @binding(4) var<storage, read> sel: array<u32>;
@group(0) @binding(5) var<storage, read> crossed: array<u32>;
@group(0) @binding(6) var<storage, read_write> E: array<f32>;

// E[stored] -= lr / B * (g + sigma2 C2 z) for quad q of table row `row`, g the quad's gradient.
fn update_quad(s: Span, row: u32, q: u32, grad: vec4<f32>) {
  let rl = shard_row(row, s.rowStart, s.rows);
  if (rl == INVALID_ROW) { return; }
  let z = noise_eager(st.key, s.table, row, q, st.step);
  let e = (s.base + rl) * u.D;
  for (var j = 0u; j < 4u; j++) {
    let c = q * 4u + j;
    if (c < u.D) { E[e + c] -= st.lr * st.invB * (grad[j] + st.noiseStd * z[j]); }
  }
}

// quad q of the clipped gradient sum at sorted position pos (0 past the last column)
fn grad_quad(pos: u32, q: u32) -> vec4<f32> {
  var g = vec4<f32>(0.0);
  for (var j = 0u; j < 4u; j++) {
    let c = q * 4u + j;
    if (c < u.D) { g[j] = rowGrad[pos * u.D + c]; }
  }
  return g;
}

@compute @workgroup_size(WG)
fn touched(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  let per = u.n * u.quads;
  if (i >= per * span_count()) { return; }
  let s = spans[i / per];
  let p = (i % per) / u.quads;
  let pos = s.table * u.strideKeys + p;
  let r = keys[pos];
  if (!is_segment_head(p, r, keys[max(pos, 1u) - 1u]) || sel[pos] == 0u) { return; }
  update_quad(s, r, i % u.quads, grad_quad(pos, i % u.quads));
}

@compute @workgroup_size(WG)
fn untouched(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  let per = u.cap * u.quads;
  if (i >= per * span_count()) { return; }
  let s = spans[i / per];
  let r = crossed[s.table * u.cap + (i % per) / u.quads];
  if (r == INVALID_ROW) { return; }
  update_quad(s, r, i % u.quads, vec4<f32>(0.0));
}
