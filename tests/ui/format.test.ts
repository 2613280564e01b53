// Counts as people type them into the lab's number boxes.

import { describe, expect, it } from 'vitest';
import { niceStep, parseCount } from '../../src/ui/format';

describe('parseCount', () => {
  it('reads plain, grouped, scientific, power and suffixed counts', () => {
    expect(parseCount('2147483648')).toBe(2 ** 31);
    expect(parseCount(' 1,048,576 ')).toBe(2 ** 20);
    expect(parseCount('1e5')).toBe(100_000);
    expect(parseCount('1E+6')).toBe(1_000_000);
    expect(parseCount('2^20')).toBe(2 ** 20);
    expect(parseCount('1Mi')).toBe(2 ** 20);
    expect(parseCount('1Gi')).toBe(2 ** 30);
    expect(parseCount('4Ki')).toBe(4096);
    expect(parseCount('1.5k')).toBe(1500);
    expect(parseCount('3M')).toBe(3_000_000);
  });
  it('refuses what is not a whole count', () => {
    for (const t of ['', 'eight', '1.5', '1e-3', '-4', '1.0001Ki', '2^', '1 Mi x', '0x10'])
      expect(parseCount(t), t).toBeNaN();
  });
});

describe('niceStep', () => {
  it('rounds up to 1, 2, 2.5 or 5 times a power of ten', () => {
    expect(niceStep(0.566)).toBe(1);
    expect(niceStep(0.377)).toBe(0.5);
    expect(niceStep(1)).toBe(1);
    expect(niceStep(1.01)).toBe(2);
    expect(niceStep(2.2)).toBe(2.5);
    expect(niceStep(37)).toBe(50);
    expect(niceStep(0.0031)).toBe(0.005);
  });
});
