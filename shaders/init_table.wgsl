// Initial embedding rows, uniform in (-a, a) with a = 1/sqrt(rows) (as DLRM does), drawn on the
// GPU from Philox at counter (c >> 2, r, t, 0x10000000) with key (dataSeed, 0x1a171a1): a huge
// table is initialised without a CPU-side copy, and the CPU reference can recompute any row.
// E is the shard of rows rowStart .. rowStart + rows; `a` comes from the whole table's size.

struct Init { rows: u32, D: u32, quads: u32, table: u32, seed: u32, a: f32, rowStart: u32 }

@group(0) @binding(0) var<uniform> u: Init;
@group(0) @binding(1) var<storage, read_write> E: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.rows * u.quads) { return; }
  let r = i / u.quads;
  let q = i % u.quads;
  let w = philox4x32_10(vec4u(q, u.rowStart + r, u.table, 0x10000000u), vec2u(u.seed, 0x1a171a1u));
  for (var j = 0u; j < 4u; j++) {
    let c = q * 4u + j;
    if (c < u.D) { E[r * u.D + c] = (2.0 * philox_u01(w[j]) - 1.0) * u.a; }
  }
}
