// DP-AdaFEST's contribution map and noisy threshold over the sorted (row, slot) pairs of every
// table (shaders/sort.wgsl: table t's pairs at t*n .. (t+1)*n, sorted by row then slot, so the
// pairs of one row and one example are contiguous). docs/algorithms-fest.md.
//   clear:  exNorm[b] = 0 for each example b
//   norms:  exNorm[b] = ||v_b||^2 over all tables, v_b(t, r) = pairs of example b on row r
//           (COUNTS) or 1 for each row it touches (the paper's map); integer atomics, so the sum
//           is exact and the same on every run
//   counts: at each row's head, the clipped sum csum = sum_b min(1, C1 / ||v_b||) v_b(t, r) and
//           sel = [csum + sigma1 C1 z > tau], z from counter (0, r, st.step, 0xC0000000 | t) word 0
// Rows the batch did not touch are not here: src/noise/fest.ts samples which of them cross.

override COUNTS: bool = false;

// noiseStd here is sigma1 * C1 (the map's); st.noiseStd is the gradient's sigma2 * C2
struct FestMap { n: u32, tables: u32, L: u32, B: u32, clip: f32, noiseStd: f32, tau: f32 }

@group(0) @binding(0) var<uniform> u: FestMap;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read> keys: array<u32>;
@group(0) @binding(3) var<storage, read> vals: array<u32>;
@group(0) @binding(4) var<storage, read_write> exNorm: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> csum: array<f32>;
@group(0) @binding(6) var<storage, read_write> sel: array<u32>;

const STREAM_FEST_COUNT: u32 = 0xC0000000u;

@compute @workgroup_size(WG)
fn clear(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i < u.B) { atomicStore(&exNorm[i], 0u); }
}

// Whether global position p starts the pairs of one (row, example): its table's first position,
// or a different row or example than p - 1.
fn starts_example_run(p: u32, segStart: u32) -> bool {
  return p == segStart || keys[p - 1u] != keys[p] || vals[p - 1u] / u.L != vals[p] / u.L;
}

// Length of the (row, example) run starting at p, within its table's segment.
fn example_run(p: u32, segEnd: u32) -> u32 {
  let r = keys[p];
  let b = vals[p] / u.L;
  var q = p + 1u;
  while (q < segEnd && keys[q] == r && vals[q] / u.L == b) { q++; }
  return q - p;
}

@compute @workgroup_size(WG)
fn norms(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let p = global_index(g, nw);
  if (p >= u.n * u.tables || keys[p] == INVALID_ROW) { return; }
  let segStart = (p / u.n) * u.n;
  if (!starts_example_run(p, segStart)) { return; }
  var v = 1u;
  if (COUNTS) {
    let c = example_run(p, segStart + u.n);
    v = c * c;
  }
  atomicAdd(&exNorm[vals[p] / u.L], v);
}

// min(1, C1 / ||v_b||) from the exact integer ||v_b||^2 (>= 1 for any example with a pair)
fn map_scale(b: u32) -> f32 {
  let sq = f32(atomicLoad(&exNorm[b]));
  if (sq <= u.clip * u.clip) { return 1.0; }
  return u.clip / sqrt(sq);
}

@compute @workgroup_size(WG)
fn counts(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let p = global_index(g, nw);
  if (p >= u.n * u.tables) { return; }
  let t = p / u.n;
  let segStart = t * u.n;
  let segEnd = segStart + u.n;
  let r = keys[p];
  if (!is_segment_head(p - segStart, r, keys[max(p, 1u) - 1u])) { return; }
  // the row's pairs in sorted order: the same sum on every run
  var acc = 0.0;
  var q = p;
  while (q < segEnd && keys[q] == r) {
    let b = vals[q] / u.L;
    if (COUNTS || starts_example_run(q, segStart)) { acc += map_scale(b); }
    q++;
  }
  csum[p] = acc;
  let z = philox_normals4(philox4x32_10(vec4<u32>(0u, r, st.step, STREAM_FEST_COUNT | t), st.key)).x;
  sel[p] = select(0u, 1u, acc + u.noiseStd * z > u.tau);
}
