// DP-AdaFEST in micro-batches (src/engine/micro.ts, docs/algorithms-fest.md): the logical step's
// threshold and sparse noisy update of one shard, once per logical step, from what the
// micro-batches added up: C, each row's clipped count (fest_map's csum at the row heads), and G,
// each row's clipped gradient sum. An example lives in one micro-batch, so its map is clipped
// there as in one pass. One thread per row of the shard:
//   touched (C > 0: each example on a row adds min(1, C1 / ||v_b||) > 0): it crosses when
//             C + sigma1 C1 z > tau, z fest_map's count draw (0, r, step, 0xC0000000 | t) word 0
//   untouched: it crosses when it is one of the step's candidates (src/noise/fest.ts), as in
//             fest_cross.wgsl: an independent Bernoulli(Q(tau / (sigma1 C1))) per untouched row
// A crossed row gets E -= lr / B * (G + sigma2 C2 z), z DP-SGD's eager draw, as fest_update.wgsl;
// every row's C and G are then cleared for the next logical step.

struct FestApply { rows: u32, D: u32, quads: u32, table: u32, rowStart: u32, cap: u32, noiseStd: f32, tau: f32 }

@group(0) @binding(0) var<uniform> u: FestApply;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read> cand: array<u32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<storage, read_write> G: array<f32>;
@group(0) @binding(5) var<storage, read_write> E: array<f32>;

const STREAM_FEST_COUNT: u32 = 0xC0000000u;

// Whether row r is among the table's candidates (sorted, INVALID_ROW last).
fn is_candidate(r: u32) -> bool {
  let start = u.table * u.cap;
  var lo = start;
  var hi = start + u.cap;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (cand[mid] < r) { lo = mid + 1u; } else { hi = mid; }
  }
  return lo < start + u.cap && cand[lo] == r;
}

fn crosses(r: u32, c: f32) -> bool {
  if (c > 0.0) {
    let z = philox_normals4(philox4x32_10(vec4<u32>(0u, r, st.step, STREAM_FEST_COUNT | u.table), st.key)).x;
    return c + u.noiseStd * z > u.tau;
  }
  return is_candidate(r);
}

@compute @workgroup_size(WG)
fn apply(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let rl = global_index(g, nw);
  if (rl >= u.rows) { return; }
  let r = u.rowStart + rl;
  let e = rl * u.D;
  if (crosses(r, C[rl])) {
    for (var q = 0u; q < u.quads; q++) {
      let z = noise_eager(st.key, u.table, r, q, st.step);
      for (var j = 0u; j < 4u; j++) {
        let c = q * 4u + j;
        if (c < u.D) { E[e + c] -= st.lr * st.invB * (G[e + c] + st.noiseStd * z[j]); }
      }
    }
  }
  for (var c = 0u; c < u.D; c++) { G[e + c] = 0.0; }
  C[rl] = 0.0;
}
