// LazyDP (Lim et al., ASPLOS 2024): a row's noise is deferred until the row is read again.
// H[r] is the last step whose noise row r has received. At step t, every row of batch t+1 (the
// heads of its sorted pairs: unique rows) receives the noise of steps H[r]+1 .. t, then H[r] = t.
// `flush` does the same for every row, before anything reads the whole table.
//   EXACT false (lazydp): one aggregated draw, std = sigma C / B * sqrt(sum of lr_s^2 over the
//     pending steps), from Philox at (c >> 2, r, t, 0x80000000 | table): a sum of independent
//     Gaussians is Gaussian, so this has the eager distribution.
//   EXACT true (lazydp-exact): replays each pending step's own eager draw, bit-for-bit the noise
//     dpsgd adds, so the model equals dpsgd's up to float summation order.
// One thread per row (it loops over the row's columns), so H[r] has a single writer.
// The flush is split so that no dispatch runs long (a GPU watchdog, e.g. Windows' 2 s, would
// lose the device): a dispatch covers stored rows first .. first + count, and in exact mode a
// row replays at most maxSteps of its pending steps per dispatch (the host repeats the
// dispatches until every row is current: flushPlan in src/kernels/noise.ts). The steps are
// replayed in the same order either way, so the split result equals the unsplit one bit for bit.
// E and H hold the rows of the dispatch's spans (lib/spans.wgsl: one shard, one table, or every
// table packed in one buffer); keys and counters use the table's row numbers, so a table split
// across buffers or packed with others gets exactly the noise of one on its own. A span's table
// has its sorted pairs at keys[table * strideKeys ..].

override EXACT: bool = false;

struct Lazy { n: u32, D: u32, quads: u32, strideKeys: u32, first: u32, count: u32, maxSteps: u32 }

@group(0) @binding(0) var<uniform> u: Lazy;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read> lrs: array<f32>;        // lr of step s at [s]
// Q[s] at [s] as (lo, hi) (lib/pending.wgsl); the last entry holds the unit's f32 bits in .x
@group(0) @binding(3) var<storage, read> lrSqPrefix: array<vec2u>;
@group(0) @binding(4) var<storage, read> keys: array<u32>;
@group(0) @binding(5) var<storage, read_write> E: array<f32>;
@group(0) @binding(6) var<storage, read_write> H: array<u32>;

// stored row g of span s
fn apply_pending(s: Span, g: u32) {
  let h = H[g];
  let row = s.rowStart + (g - s.base);
  let t = st.step;
  if (h >= t) { return; }
  let base = g * u.D;
  if (EXACT) {
    let last = select(t, h + u.maxSteps, t - h > u.maxSteps);
    for (var step = h + 1u; step <= last; step++) {
      let scale = lrs[step] * st.invB * st.noiseStd;
      for (var q = 0u; q < u.quads; q++) {
        let z = noise_eager(st.key, s.table, row, q, step);
        for (var j = 0u; j < 4u; j++) {
          let c = q * 4u + j;
          if (c < u.D) { E[base + c] -= scale * z[j]; }
        }
      }
    }
    H[g] = last;
  } else {
    let unit = bitcast<f32>(lrSqPrefix[arrayLength(&lrSqPrefix) - 1u].x);
    let pending = pending_lr_sq(lrSqPrefix[t], lrSqPrefix[h], unit);
    let scale = sqrt(pending) * st.invB * st.noiseStd;
    for (var q = 0u; q < u.quads; q++) {
      let z = noise_lazy(st.key, s.table, row, q, t);
      for (var j = 0u; j < 4u; j++) {
        let c = q * 4u + j;
        if (c < u.D) { E[base + c] -= scale * z[j]; }
      }
    }
    H[g] = t;
  }
}

@compute @workgroup_size(WG)
fn lookahead(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.n * span_count()) { return; }
  let s = spans[i / u.n];
  let p = i % u.n;
  let q = s.table * u.strideKeys + p;
  let r = keys[q];
  if (!is_segment_head(p, r, keys[max(q, 1u) - 1u])) { return; }
  let rl = shard_row(r, s.rowStart, s.rows);
  if (rl == INVALID_ROW) { return; }
  apply_pending(s, s.base + rl);
}

@compute @workgroup_size(WG)
fn flush(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.count) { return; }
  let r = u.first + i;
  if (r >= stored_rows()) { return; }
  let k = span_of(r);
  if (k == span_count()) { return; } // padding between packed tables
  apply_pending(spans[k], r);
}
