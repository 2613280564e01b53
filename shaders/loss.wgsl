// Binary cross-entropy on logits, and its gradient per example (not divided by the batch: the
// update divides the clipped sum by the expected batch size). Padding examples (mask 0) give
// zero loss and zero gradient. One workgroup; a fixed-order tree reduction keeps the loss sum
// deterministic.

struct Loss { B: u32, slot: u32 }

@group(0) @binding(0) var<uniform> u: Loss;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<f32>;
@group(0) @binding(4) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(5) var<storage, read_write> lossOut: array<f32>;

var<workgroup> sLoss: array<f32, 256>;
var<workgroup> sCount: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  var l = 0.0;
  var c = 0.0;
  for (var b = lid.x; b < u.B; b += 256u) {
    let x = logits[b];
    let y = labels[b];
    let m = mask[b];
    // log(1 + e^x) - x y, written to avoid overflow for large |x|.
    l += m * (max(x, 0.0) - x * y + log(1.0 + exp(-abs(x))));
    c += m;
    dlogits[b] = m * (1.0 / (1.0 + exp(-x)) - y);
  }
  sLoss[lid.x] = l;
  sCount[lid.x] = c;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid.x < s) {
      sLoss[lid.x] += sLoss[lid.x + s];
      sCount[lid.x] += sCount[lid.x + s];
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    lossOut[u.slot * 2u] = sLoss[0];
    lossOut[u.slot * 2u + 1u] = sCount[0];
  }
}
