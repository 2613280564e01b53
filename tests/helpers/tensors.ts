// Comparing exported models in tests.
import { expect } from 'vitest';
import type { NamedTensor } from '../../src/engine';

/** Largest |a - b| over two models' tensors, which must have the same names and shapes in order. */
export function maxAbsDiff(a: NamedTensor[], b: NamedTensor[]): number {
  expect(a.map((x) => x.name)).toEqual(b.map((x) => x.name));
  let m = 0;
  a.forEach((x, i) => {
    expect(x.shape).toEqual(b[i].shape);
    x.data.forEach((v, k) => (m = Math.max(m, Math.abs(v - b[i].data[k]))));
  });
  return m;
}
