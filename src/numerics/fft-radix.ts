// The FFT's butterfly stages (src/numerics/real-fft.ts describes the transform), and the split of
// its twiddle tables that they share with the plan.

/** Twiddles are products of two small tables, split at this bit (src/numerics/real-fft.ts). */
export const TW_BITS = 10,
  TW_MASK = (1 << TW_BITS) - 1;

// The butterfly stages. Each serves both directions: decimation in time (`dif` false: the
// twiddle multiplies the second input, then sum and difference) and in frequency (`dif` true: sum
// and difference, then the twiddle multiplies the difference). One function for both means one
// function for V8 to optimise, and the inverse transform of a composition starts with the code the
// forward one warmed.

/** The two stages of spans 2 and 4 (twiddles 1 and -+i) over each four points of a[base, end). */
export function stages24(a: Float64Array, base: number, end: number, sign: 1 | -1, dif: boolean): void {
  for (let o = base; o < end; o += 8) {
    const x0r = a[o],
      x0i = a[o + 1],
      x1r = a[o + 2],
      x1i = a[o + 3],
      x2r = a[o + 4],
      x2i = a[o + 5],
      x3r = a[o + 6],
      x3i = a[o + 7];
    if (dif) {
      // span 4: (x0, x2) with 1, (x1, x3) with sign i after the difference; then span 2
      const a0r = x0r + x2r,
        a0i = x0i + x2i,
        a2r = x0r - x2r,
        a2i = x0i - x2i,
        a1r = x1r + x3r,
        a1i = x1i + x3i,
        a3r = -sign * (x1i - x3i),
        a3i = sign * (x1r - x3r);
      a[o] = a0r + a1r;
      a[o + 1] = a0i + a1i;
      a[o + 2] = a0r - a1r;
      a[o + 3] = a0i - a1i;
      a[o + 4] = a2r + a3r;
      a[o + 5] = a2i + a3i;
      a[o + 6] = a2r - a3r;
      a[o + 7] = a2i - a3i;
    } else {
      // span 2, then span 4 with w a3, w = e^{sign i pi / 2} = sign i
      const a0r = x0r + x1r,
        a0i = x0i + x1i,
        a1r = x0r - x1r,
        a1i = x0i - x1i,
        a2r = x2r + x3r,
        a2i = x2i + x3i,
        a3r = x2r - x3r,
        a3i = x2i - x3i;
      const br = -sign * a3i,
        bi = sign * a3r;
      a[o] = a0r + a2r;
      a[o + 1] = a0i + a2i;
      a[o + 2] = a1r + br;
      a[o + 3] = a1i + bi;
      a[o + 4] = a0r - a2r;
      a[o + 5] = a0i - a2i;
      a[o + 6] = a1r - br;
      a[o + 7] = a1i - bi;
    }
  }
}

/** The one radix-2 stage, of span 8, over a[base, end), with the twiddles w8. */
export function radix2(a: Float64Array, w8: Float64Array, base: number, end: number, sign: 1 | -1, dif: boolean): void {
  const h2 = 8; // half the span, in doubles
  for (let i = base; i < end; i += 16) {
    for (let j = 0; j < h2; j += 2) {
      const wr = w8[j],
        wi = sign * w8[j + 1];
      const p = i + j,
        q = p + h2;
      const ar = a[p],
        ai = a[p + 1],
        xr = a[q],
        xi = a[q + 1];
      if (dif) {
        const dr = ar - xr,
          di = ai - xi;
        a[p] = ar + xr;
        a[p + 1] = ai + xi;
        a[q] = dr * wr - di * wi;
        a[q + 1] = dr * wi + di * wr;
      } else {
        const tr = xr * wr - xi * wi,
          ti = xr * wi + xi * wr;
        a[p] = ar + tr;
        a[p + 1] = ai + ti;
        a[q] = ar - tr;
        a[q + 1] = ai - ti;
      }
    }
  }
}

/**
 * Two radix-2 stages at once over a[base, end), spans L = len and 2L, on the four points
 * b + j + {0, L/2, L, 3L/2} (j < L/2): span L on (a, b) and (c, d) with W1 = w_L^j, span 2L on
 * (a, c) with W2 = w_2L^j and on (b, d) with w_2L^(j + L/2) = sign i W2. In time, span L first;
 * in frequency, span 2L first. `len` is also L/2 points in doubles: the distance from a to b.
 */
export function radix4(
  a: Float64Array,
  twHi: Float64Array,
  twLo: Float64Array,
  M: number,
  base: number,
  end: number,
  len: number,
  sign: 1 | -1,
  dif: boolean,
): void {
  const s2 = M / len; // table step of W2 = w_2L^j (interleaved)
  for (let b = base; b < end; b += 4 * len) {
    for (let j = 0, t2 = 0; j < len; j += 2, t2 += s2) {
      // W2 = w_2L^j (under a quarter turn) from the two small tables, W1 = W2²
      const k2 = t2 >>> 1,
        th = 2 * (k2 >>> TW_BITS),
        tl = 2 * (k2 & TW_MASK);
      const hr = twHi[th],
        hi = twHi[th + 1],
        lr = twLo[tl],
        li = twLo[tl + 1];
      const w2r = hr * lr - hi * li,
        w2i = sign * (hr * li + hi * lr);
      const w1r = w2r * w2r - w2i * w2i,
        w1i = 2 * w2r * w2i;
      const pa = b + j,
        pb = pa + len,
        pc = pb + len,
        pd = pc + len;
      const ar = a[pa],
        ai = a[pa + 1],
        br = a[pb],
        bi = a[pb + 1],
        cr = a[pc],
        ci = a[pc + 1],
        dr = a[pd],
        di = a[pd + 1];
      if (dif) {
        // span 2L
        const a1r = ar + cr,
          a1i = ai + ci,
          e0r = ar - cr,
          e0i = ai - ci,
          b1r = br + dr,
          b1i = bi + di,
          f0r = br - dr,
          f0i = bi - di;
        const c1r = e0r * w2r - e0i * w2i,
          c1i = e0r * w2i + e0i * w2r;
        const ur = f0r * w2r - f0i * w2i,
          ui = f0r * w2i + f0i * w2r;
        const d1r = -sign * ui,
          d1i = sign * ur;
        // span L
        const g0r = a1r - b1r,
          g0i = a1i - b1i,
          h0r = c1r - d1r,
          h0i = c1i - d1i;
        a[pa] = a1r + b1r;
        a[pa + 1] = a1i + b1i;
        a[pb] = g0r * w1r - g0i * w1i;
        a[pb + 1] = g0r * w1i + g0i * w1r;
        a[pc] = c1r + d1r;
        a[pc + 1] = c1i + d1i;
        a[pd] = h0r * w1r - h0i * w1i;
        a[pd + 1] = h0r * w1i + h0i * w1r;
      } else {
        // span L
        const tbr = br * w1r - bi * w1i,
          tbi = br * w1i + bi * w1r,
          tdr = dr * w1r - di * w1i,
          tdi = dr * w1i + di * w1r;
        const a1r = ar + tbr,
          a1i = ai + tbi,
          b1r = ar - tbr,
          b1i = ai - tbi,
          c1r = cr + tdr,
          c1i = ci + tdi,
          d1r = cr - tdr,
          d1i = ci - tdi;
        // span 2L
        const tcr = c1r * w2r - c1i * w2i,
          tci = c1r * w2i + c1i * w2r;
        const ur = d1r * w2r - d1i * w2i,
          ui = d1r * w2i + d1i * w2r;
        const vr = -sign * ui,
          vi = sign * ur;
        a[pa] = a1r + tcr;
        a[pa + 1] = a1i + tci;
        a[pc] = a1r - tcr;
        a[pc + 1] = a1i - tci;
        a[pb] = b1r + vr;
        a[pb + 1] = b1i + vi;
        a[pd] = b1r - vr;
        a[pd + 1] = b1i - vi;
      }
    }
  }
}
