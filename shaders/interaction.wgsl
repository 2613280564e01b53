// Dot interaction (DLRM's "dot" op, without self-interaction). Example b has n = T + 1 feature
// vectors of width D in the feature buffer V: v_0 = the bottom MLP's output, v_1..v_T = the pooled
// tables. The top MLP reads
//   z = [v_0, <v_a, v_c> for every pair a < c]                     width D + n(n-1)/2
// with the pairs in DLRM's order (dlrm_s_pytorch.py: Z[:, li, lj], li > lj, the strictly lower
// triangle of V V^T row by row): (1,0), (2,0), (2,1), (3,0), (3,1), (3,2), ... so pair (a, c),
// a < c, sits at column D + c(c-1)/2 + a. The position does not depend on T.
//
// forward:  Z[b, k] = V[b, k] for k < D; Z[b, D + p] = sum_d V[b, a, d] V[b, c, d] (d ascending).
// backward: dV[b, i, d] = [i == 0] dZ[b, d] + sum_{j != i} dZ[b, D + pair(i, j)] V[b, j, d]
//           (j ascending). One thread per dV element: every element has exactly one writer, no
//           atomics, and the sums run in a fixed order, so results do not change between runs.

struct Interaction { B: u32, n: u32, D: u32, offV: u32, ldV: u32, offZ: u32, ldZ: u32, offDV: u32, ldDV: u32 }

@group(0) @binding(0) var<uniform> u: Interaction;
@group(0) @binding(1) var<storage, read> V: array<f32>;
@group(0) @binding(2) var<storage, read> dZ: array<f32>;
@group(0) @binding(3) var<storage, read_write> Z: array<f32>;
@group(0) @binding(4) var<storage, read_write> dV: array<f32>;

// Column of pair {i, j} (i != j) after the first D columns.
fn pair_index(i: u32, j: u32) -> u32 {
  let a = min(i, j);
  let c = max(i, j);
  return c * (c - 1u) / 2u + a;
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let width = u.D + u.n * (u.n - 1u) / 2u;
  let t = global_index(g, nw);
  if (t >= u.B * width) { return; }
  let b = t / width;
  let k = t % width;
  let row = u.offV + b * u.ldV;
  if (k < u.D) {
    Z[u.offZ + b * u.ldZ + k] = V[row + k];
    return;
  }
  // invert p = c(c-1)/2 + a, 0 <= a < c: the largest c with c(c-1)/2 <= p
  let p = k - u.D;
  var c = 1u;
  while ((c + 1u) * c / 2u <= p) { c++; }
  let a = p - c * (c - 1u) / 2u;
  var acc = 0.0;
  for (var d = 0u; d < u.D; d++) { acc += V[row + a * u.D + d] * V[row + c * u.D + d]; }
  Z[u.offZ + b * u.ldZ + k] = acc;
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let cols = u.n * u.D;
  let t = global_index(g, nw);
  if (t >= u.B * cols) { return; }
  let b = t / cols;
  let e = t % cols;
  let i = e / u.D;
  let d = e % u.D;
  let zrow = u.offZ + b * u.ldZ;
  let vrow = u.offV + b * u.ldV;
  var acc = 0.0;
  if (i == 0u) { acc = dZ[zrow + d]; }
  for (var j = 0u; j < u.n; j++) {
    if (j == i) { continue; }
    acc += dZ[zrow + u.D + pair_index(i, j)] * V[vrow + j * u.D + d];
  }
  dV[u.offDV + b * u.ldDV + e] = acc;
}
