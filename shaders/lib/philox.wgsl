// Philox4x32-10 (Salmon et al., SC'11) and the lab's noise addressing. WGSL twin of
// src/noise/philox.ts: the words must match it bit for bit, so any draw can be recomputed on
// the CPU from (seed, counter). A library: no bindings, no entry points; prepend it to a kernel.

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

// Fourth counter word: tables use their index t < 2^29 directly, these bits mark other streams.
const PHILOX_STREAM_MLP: u32 = 0x40000000u;
const PHILOX_STREAM_LAZY: u32 = 0x80000000u;

// High 32 bits of a * b. WGSL has no 64-bit integers, so build it from 16-bit halves; the low
// half is the wrapping u32 product a * b. No partial sum below can overflow 32 bits.
fn philox_mulhi(a: u32, b: u32) -> u32 {
  let aH = a >> 16u;
  let aL = a & 0xFFFFu;
  let bH = b >> 16u;
  let bL = b & 0xFFFFu;
  let ll = aL * bL;
  let lh = aL * bH;
  let hl = aH * bL;
  let hh = aH * bH;
  let mid = (ll >> 16u) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
  return hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

fn philox4x32_10(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var x = ctr;
  var k = key;
  for (var r = 0u; r < 10u; r++) {
    let hi0 = philox_mulhi(PHILOX_M0, x.x);
    let lo0 = PHILOX_M0 * x.x;
    let hi1 = philox_mulhi(PHILOX_M1, x.z);
    let lo1 = PHILOX_M1 * x.z;
    x = vec4<u32>(hi1 ^ x.y ^ k.x, lo1, hi0 ^ x.w ^ k.y, lo0);
    k += vec2<u32>(PHILOX_W0, PHILOX_W1);
  }
  return x;
}

// Uniform in (0, 1) from the top 24 bits: (f32(x >> 8) + 0.5) / 2^24. Multiplying by 2^-24 is
// exact (division by a constant may not be). For x >> 8 >= 2^23 the +0.5 does not fit in f32 and
// rounds to even, so the top word would give exactly 1.0: clamp to the largest f32 below 1.
// Never 0 (smallest is 2^-25), so log() below is finite.
fn philox_u01(x: u32) -> f32 {
  return min((f32(x >> 8u) + 0.5) * 0x1p-24f, 0x1.fffffep-1f);
}

// Box-Muller on (u0, u1) and (u2, u3): rad = sqrt(-2 ln u_a), (rad cos 2 pi u_b, rad sin 2 pi u_b).
// The angle is taken in (-pi, pi] (u_b - 1 for u_b > 1/2, exact in f32, same cos/sin) because
// WGSL only bounds the error of cos/sin inside [-pi, pi].
fn philox_normals4(w: vec4<u32>) -> vec4<f32> {
  let u = vec4<f32>(philox_u01(w.x), philox_u01(w.y), philox_u01(w.z), philox_u01(w.w));
  let rad = sqrt(-2.0 * log(vec2<f32>(u.x, u.z)));
  let ub = vec2<f32>(u.y, u.w);
  let ang = 6.2831853071795864 * (ub - select(vec2<f32>(0.0), vec2<f32>(1.0), ub > vec2<f32>(0.5)));
  let c = cos(ang);
  let s = sin(ang);
  return vec4<f32>(rad.x * c.x, rad.x * s.x, rad.y * c.y, rad.y * s.y);
}

// Eager noise of table `table`, row `row`, columns 4*quad..4*quad+3, added at step `step`
// (1-based): counter (quad, row, step, table).
fn noise_eager(key: vec2<u32>, table: u32, row: u32, quad: u32, step: u32) -> vec4<f32> {
  return philox_normals4(philox4x32_10(vec4<u32>(quad, row, step, table), key));
}

// LazyDP's aggregated draw for a row, made at step t_now: counter (quad, row, t_now, 0x80000000|table).
fn noise_lazy(key: vec2<u32>, table: u32, row: u32, quad: u32, t_now: u32) -> vec4<f32> {
  return philox_normals4(philox4x32_10(vec4<u32>(quad, row, t_now, PHILOX_STREAM_LAZY | table), key));
}

// Noise of MLP parameter `param` at flat indices 4*quad..4*quad+3, step `step`:
// counter (quad, param, step, 0x40000000).
fn noise_mlp(key: vec2<u32>, param: u32, quad: u32, step: u32) -> vec4<f32> {
  return philox_normals4(philox4x32_10(vec4<u32>(quad, param, step, PHILOX_STREAM_MLP), key));
}
