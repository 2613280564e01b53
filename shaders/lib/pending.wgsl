// LazyDP's pending variance without float cancellation. The lr schedule's running sums of lr^2
// are exact integers Q[s] = sum_{u<=s} round(lr_u^2 / unit) (unit a power of two, at most 2^53
// in all; lrSquaredPrefix in src/kernels/noise.ts), stored as u32 (lo, hi) pairs. The pending
// sum over steps h+1..t is Q[t] - Q[h], subtracted exactly in integers; only the result becomes
// a float. The float part is one product by 2^32 and one by the unit, both powers of two, and
// one sum: no reassociation or contraction a compiler may apply (fast math, fma) changes it by
// more than the f32 roundings of hi, lo and their sum, 3 * 2^-24 relative (the quantisation adds
// at most steps * 2^-53 / lr_min^2 * mean lr^2, about 1e-7 at 10^7 steps of the lab's schedules).
// A library: prepend it to the kernel that reads the sums.

// sum of lr_u^2 over u in (h, t], from the pairs Q[t] and Q[h] (t >= h) and the unit
fn pending_lr_sq(qt: vec2u, qh: vec2u, unit: f32) -> f32 {
  let lo = qt.x - qh.x;
  let borrow = select(0u, 1u, qt.x < qh.x);
  let hi = qt.y - qh.y - borrow;
  return (f32(hi) * 4294967296.0 + f32(lo)) * unit;
}
