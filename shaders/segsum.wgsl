// Clipped embedding gradient, one row at a time: after sorting, the pairs of each row are
// contiguous (a run); rowGrad at the run's first position (its head) holds the sum of
// s(b) * g_b over the run, where g_b is the pooled gradient of example b (slot / L).
// s(b): 1 (sgd), the flat clip factor, or the per-layer factor from this table's norms.
//
// In parallel and deterministic, without float atomics: the sorted positions are cut into
// chunks of CHUNK. `chunks` (one thread per chunk and column) sums each run's pairs inside its
// chunk in sorted order: a run that starts in the chunk gets its partial at its head, a run that
// began in an earlier chunk gets it in the chunk's carry slot. `carries` (one thread per chunk
// and column) adds to the head of a chunk's last run, when it goes on past the chunk, the carries
// of the chunks it covers, in chunk order. So no thread walks more than CHUNK pairs (or
// n / CHUNK carries) and every sum is added in the same order on every run.
// Every table in one dispatch: table t's sorted pairs are the segment t*n .. (t+1)*n (one sort
// for all tables, shaders/sort.wgsl); chunks never cross a segment and runs never continue into
// the next table. Its pooled gradients start at column offG + t*strideG of G, its clip scales at
// offScale + t*strideScale; rowGrad and the carries are indexed by global position.

override SCALE_MODE: u32 = 0u;
override CHUNK: u32 = 256u;

struct SegSum {
  n: u32, tables: u32, L: u32, D: u32, offG: u32, strideG: u32, ldG: u32, offScale: u32, strideScale: u32,
  clipSq: f32,
}

@group(0) @binding(0) var<uniform> u: SegSum;
@group(0) @binding(1) var<storage, read> keys: array<u32>;
@group(0) @binding(2) var<storage, read> vals: array<u32>;
@group(0) @binding(3) var<storage, read> G: array<f32>;
@group(0) @binding(4) var<storage, read> scale: array<f32>;
@group(0) @binding(5) var<storage, read_write> rowGrad: array<f32>;
@group(0) @binding(6) var<storage, read_write> carry: array<f32>;

fn example_scale(t: u32, b: u32) -> f32 {
  if (SCALE_MODE == 0u) { return 1.0; }
  return clip_scale(SCALE_MODE, scale[u.offScale + t * u.strideScale + b], u.clipSq);
}

// chunks per table
fn chunk_count() -> u32 {
  return (u.n + CHUNK - 1u) / CHUNK;
}

// Chunk c (over all tables): its table, and its first and past-the-end global positions.
fn chunk_span(c: u32) -> vec3u {
  let t = c / chunk_count();
  let segStart = t * u.n;
  let start = segStart + (c % chunk_count()) * CHUNK;
  return vec3u(t, start, min(start + CHUNK, segStart + u.n));
}

// Pass 1: thread (chunk c, column d).
@compute @workgroup_size(WG)
fn chunks(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= chunk_count() * u.tables * u.D) { return; }
  let c = i / u.D;
  let d = i % u.D;
  let span = chunk_span(c);
  let t = span.x;
  let start = span.y;
  let end = span.z;
  var r = keys[start];
  if (r == INVALID_ROW) { return; } // invalid pairs come last: nothing from here on
  // the chunk's first run began in an earlier chunk of its table: its partial is this chunk's carry
  let continued = start > t * u.n && keys[start - 1u] == r;
  let offG = u.offG + t * u.strideG;
  var h = start;
  var acc = 0.0;
  var q = start;
  loop {
    let b = vals[q] / u.L;
    acc += example_scale(t, b) * G[offG + b * u.ldG + d];
    q++;
    let next = select(INVALID_ROW, keys[min(q, end - 1u)], q < end);
    if (next != r) {
      if (h == start && continued) {
        carry[c * u.D + d] = acc;
      } else {
        rowGrad[h * u.D + d] = acc;
      }
      if (next == INVALID_ROW) { break; }
      r = next;
      h = q;
      acc = 0.0;
    }
  }
}

// Pass 2: thread (chunk c, column d), for the last run of chunk c when it starts in c and goes on
// into chunk c + 1 of the same table.
@compute @workgroup_size(WG)
fn carries(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= chunk_count() * u.tables * u.D) { return; }
  let c = i / u.D;
  let d = i % u.D;
  let span = chunk_span(c);
  let segStart = span.x * u.n;
  let segEnd = segStart + u.n;
  let start = span.y;
  let end = span.z;
  if (end >= segEnd) { return; }
  let r = keys[end - 1u];
  if (r == INVALID_ROW || keys[end] != r) { return; }
  if (start > segStart && keys[start - 1u] == r) { return; } // its head is in an earlier chunk
  // its head: the first position of the chunk holding r (the run is the chunk's last, so the
  // positions holding r are a suffix of the chunk)
  var lo = start;
  var hi = end - 1u;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (keys[mid] == r) { hi = mid; } else { lo = mid + 1u; }
  }
  var acc = rowGrad[lo * u.D + d];
  // the following chunks of this table, in order, while they start with r
  var k = c + 1u;
  loop {
    let ks = segStart + (k % chunk_count()) * CHUNK;
    if (k / chunk_count() != span.x || keys[ks] != r) { break; }
    acc += carry[k * u.D + d];
    k++;
  }
  rowGrad[lo * u.D + d] = acc;
}
