// Statistics the checks share with the tests.

/** Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical CDFs. */
export function ks(a: number[], b: number[]): number {
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
