// DP-AdaFEST's untouched crossings: the CPU draws, per table, candidate rows that cross the
// threshold when their count is 0 (independent Bernoulli(Q(tau / (sigma1 C1))) per row,
// src/noise/fest.ts); here each candidate the batch touched is dropped (its own noisy count
// decides for it), by binary search in its table's sorted keys (INVALID_ROW sorts last).
// crossed[t * cap + j] = the candidate, or INVALID_ROW. docs/algorithms-fest.md.

struct FestCross { n: u32, tables: u32, cap: u32 }

@group(0) @binding(0) var<uniform> u: FestCross;
@group(0) @binding(1) var<storage, read> keys: array<u32>;
@group(0) @binding(2) var<storage, read> cand: array<u32>;
@group(0) @binding(3) var<storage, read_write> crossed: array<u32>;

// Whether row r is among table t's sorted keys.
fn touched(t: u32, r: u32) -> bool {
  var lo = t * u.n;
  var hi = lo + u.n;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (keys[mid] < r) { lo = mid + 1u; } else { hi = mid; }
  }
  return lo < (t + 1u) * u.n && keys[lo] == r;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.tables * u.cap) { return; }
  let r = cand[i];
  crossed[i] = select(r, INVALID_ROW, r == INVALID_ROW || touched(i / u.cap, r));
}
