// Order statistics and a two-sample test, shared by the engine's timings, the audit, the CLI and
// the GPU check.

/** The median of xs (the mean of the middle two for an even count); 0 for none. */
export function median(xs: readonly number[]): number {
  if (!xs.length) return 0;
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The q-quantile (0..1) of xs, linear between order statistics; 0 for none. */
export function quantile(xs: readonly number[], q: number): number {
  if (!xs.length) return 0;
  const s = xs.slice().sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return lo + 1 < s.length ? s[lo] + (s[lo + 1] - s[lo]) * (i - lo) : s[lo];
}

/** Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical CDFs. */
export function ks(a: readonly number[], b: readonly number[]): number {
  const x = a.slice().sort((p, q) => p - q),
    y = b.slice().sort((p, q) => p - q);
  let i = 0,
    j = 0,
    d = 0;
  while (i < x.length && j < y.length) {
    if (x[i] <= y[j]) i++;
    else j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}
