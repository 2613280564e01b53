// Sorts the batch's (row, slot) pairs by row on the GPU, so the embedding gradient can be summed
// per row in a fixed order (WGSL has no float atomics; a CAS loop would make the sum depend on
// thread timing). Bitonic sort on N = 2^m pairs per table ordered by (row, slot): slots are
// unique, so the order is total and the result deterministic. Padding and masked examples get
// row 0xffffffff and sort to the end of their table's segment.
// Every table is sorted in the same passes: table t's pairs are the segment t*N .. (t+1)*N of
// keys and vals, and each compare-exchange stays inside its segment (the network only pairs
// positions that differ in bits below N, and the direction comes from the position within the
// segment), so one pass sorts all tables, each exactly as a sort of its own would.
//   build:  pairs from the index buffer
//   local:  sorts (FULL) or merges (for a given k > 512) blocks of 512 in workgroup memory
//   global: one compare-exchange step (k, j) with j >= 512 across every segment
//   global2: two such steps, (k, j) and (k, j/2), in one pass

const BLOCK: u32 = 512u;

// n: pairs per table (a power of two); tables: segments; table t's indices start at
// offIdx + t * strideIdx.
struct Sort { n: u32, used: u32, L: u32, tables: u32, offIdx: u32, strideIdx: u32, k: u32, j: u32 }

@group(0) @binding(0) var<uniform> u: Sort;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read> mask: array<f32>;
@group(0) @binding(3) var<storage, read> tableRows: array<u32>;
@group(0) @binding(4) var<storage, read_write> keys: array<u32>;
@group(0) @binding(5) var<storage, read_write> vals: array<u32>;

@compute @workgroup_size(WG)
fn build(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let gi = global_index(g, nw);
  if (gi >= u.n * u.tables) { return; }
  let t = gi / u.n;
  let i = gi % u.n;
  var key = INVALID_ROW;
  if (i < u.used) {
    let r = idx[u.offIdx + t * u.strideIdx + i];
    if (r < tableRows[t] && mask[i / u.L] > 0.0) { key = r; }
  }
  keys[gi] = key;
  vals[gi] = i;
}

fn greater(ka: u32, va: u32, kb: u32, vb: u32) -> bool {
  return ka > kb || (ka == kb && va > vb);
}

@compute @workgroup_size(WG)
fn global_step(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let gi = global_index(g, nw);
  let half = u.n / 2u;
  if (gi >= half * u.tables) { return; }
  let i = gi % half;
  let lo = (gi / half) * u.n + (i / u.j) * 2u * u.j + (i % u.j);
  let hi = lo + u.j;
  let pos = lo % u.n; // position within the table's segment sets the direction
  let ascending = (pos & u.k) == 0u;
  let ka = keys[lo]; let va = vals[lo];
  let kb = keys[hi]; let vb = vals[hi];
  if (greater(ka, va, kb, vb) == ascending) {
    keys[lo] = kb; vals[lo] = vb;
    keys[hi] = ka; vals[hi] = va;
  }
}

fn compare_exchange(a: u32, b: u32, ascending: bool) {
  let ka = keys[a]; let va = vals[a];
  let kb = keys[b]; let vb = vals[b];
  if (greater(ka, va, kb, vb) == ascending) {
    keys[a] = kb; vals[a] = vb;
    keys[b] = ka; vals[b] = va;
  }
}

// Two steps of merge stage k in one pass: (k, j) then (k, j / 2), both >= 512. Each thread owns
// the four positions lo, lo + j/2, lo + j, lo + 3j/2 (lo has bits j and j/2 clear): step j pairs
// them as (0, 2) and (1, 3), step j/2 as (0, 1) and (2, 3), so no other thread touches them in
// between and the result is that of the two passes. All four share bit k, hence one direction.
@compute @workgroup_size(WG)
fn global_step2(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let gi = global_index(g, nw);
  let quarter = u.n / 4u;
  if (gi >= quarter * u.tables) { return; }
  let i = gi % quarter;
  let h = u.j / 2u;
  let lo = (gi / quarter) * u.n + (i / h) * 2u * u.j + (i % h);
  let pos = lo % u.n;
  let ascending = (pos & u.k) == 0u;
  compare_exchange(lo, lo + u.j, ascending);
  compare_exchange(lo + h, lo + h + u.j, ascending);
  compare_exchange(lo, lo + h, ascending);
  compare_exchange(lo + u.j, lo + u.j + h, ascending);
}

var<workgroup> sk: array<u32, 512>;
var<workgroup> sv: array<u32, 512>;

// 64 threads per block, each doing 4 of the block's 256 compare-exchanges between barriers:
// fewer invocations per barrier (cheap on GPUs, and what CPU implementations like SwiftShader
// need: there each barrier costs per invocation).
const LOCAL_THREADS: u32 = 64u;

fn local_pass(base: u32, lid: u32, k: u32, jStart: u32) {
  for (var j = jStart; j > 0u; j >>= 1u) {
    for (var e = 0u; e < 4u; e++) {
      let t = lid + e * LOCAL_THREADS;
      let lo = (t / j) * 2u * j + (t % j);
      let hi = lo + j;
      let pos = (base + lo) % u.n;
      let ascending = (pos & k) == 0u;
      let ka = sk[lo]; let va = sv[lo];
      let kb = sk[hi]; let vb = sv[hi];
      if (greater(ka, va, kb, vb) == ascending) {
        sk[lo] = kb; sv[lo] = vb;
        sk[hi] = ka; sv[hi] = va;
      }
    }
    workgroupBarrier();
  }
}

// u.k == 0: full sort of each block (k = 2 .. 512); else the j < 512 steps of merge stage u.k.
// One workgroup per block of every table's segments; a 2-D grid past 65535 blocks.
@compute @workgroup_size(64)
fn local_sort(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
              @builtin(num_workgroups) nw: vec3u) {
  let blk = wg.x + wg.y * nw.x;
  if (blk * BLOCK >= u.n * u.tables) { return; }
  let base = blk * BLOCK;
  for (var e = 0u; e < 8u; e++) {
    let i = lid.x + e * LOCAL_THREADS;
    sk[i] = keys[base + i]; sv[i] = vals[base + i];
  }
  workgroupBarrier();
  if (u.k == 0u) {
    for (var k = 2u; k <= BLOCK; k <<= 1u) { local_pass(base, lid.x, k, k >> 1u); }
  } else {
    local_pass(base, lid.x, u.k, BLOCK >> 1u);
  }
  for (var e = 0u; e < 8u; e++) {
    let i = lid.x + e * LOCAL_THREADS;
    keys[base + i] = sk[i]; vals[base + i] = sv[i];
  }
}
