// The UI's pure logic, in node: timing heuristics, run scheduling helpers, formatting.
import { describe, expect, it } from 'vitest';
import { looksQuantized, timestampQuantum } from '../../src/ui/timing';
import { chooseLogEvery, splitRows, sweepSizes } from '../../src/ui/runner';
import { fmtBytes, fmtMs, fmtRows } from '../../src/ui/format';
import { ConfigError } from '../../src/config/config';
import { describeError } from '../../src/ui/runner';

describe('timestamp quantization', () => {
  it('flags times that are all multiples of 0.1 ms (medians may land on 0.05)', () => {
    expect(looksQuantized([0.1, 0.2, 0, 0.3, 1.5, 0.05])).toBe(true);
    expect(looksQuantized([0.1, 0.2, 0.3, 0.123])).toBe(false);
    expect(looksQuantized([0.0123, 0.4567, 0.0021, 0.333])).toBe(false);
  });
  it('needs a few non-zero samples before saying anything', () => {
    expect(looksQuantized([])).toBe(false);
    expect(looksQuantized([0, 0, 0, 0.1])).toBe(false);
  });
  it('tolerates float noise from ns -> ms conversion', () => {
    expect(looksQuantized([0.30000000000000004, 0.7000000000000001, 0.1, 0.2])).toBe(true);
  });
  it('finds the quantum of raw timestamps', () => {
    expect(timestampQuantum([100000n, 300000n, 1200000n])).toBe(100000);
    expect(timestampQuantum([1000n, 2000n, 123000n])).toBe(1000);
    expect(timestampQuantum([1234n, 98765n])).toBe(1);
  });
});

describe('run helpers', () => {
  it('log points land on evaluation steps', () => {
    expect(chooseLogEvery(300, 100)).toBe(2);
    expect(chooseLogEvery(24, 8)).toBe(1);
    expect(chooseLogEvery(30000, 0)).toBe(200);
    expect(chooseLogEvery(30000, 1000)).toBe(200);
    expect(chooseLogEvery(30000, 7)).toBe(7);
    for (const [s, e] of [[1000, 30], [5000, 64], [10, 3]]) expect(e % chooseLogEvery(s, e)).toBe(0);
  });
  it('sweep sizes are log-spaced, distinct, and split over the tables', () => {
    expect(sweepSizes(8, 12, 3)).toEqual([256, 1024, 4096]);
    expect(sweepSizes(10, 10, 4)).toEqual([1024]);
    const s = sweepSizes(12, 20, 5);
    expect(s[0]).toBe(4096);
    expect(s.at(-1)).toBe(2 ** 20);
    expect(splitRows(1000, 3)).toEqual([334, 333, 333]);
    expect(splitRows(2, 4)).toEqual([1, 1, 1, 1]);
    expect(splitRows(4096, 4).reduce((a, b) => a + b)).toBe(4096);
  });
  it('names errors so the user can act', () => {
    expect(describeError(new ConfigError('batch', 'batch: too big')).title).toBe('Configuration: batch');
    expect(describeError(new Error('Invalid ShaderModule: WGSL parse error')).title).toBe('Shader error');
    expect(describeError(new Error('Out of memory')).title).toBe('Out of GPU memory');
    expect(describeError('weird').title).toBe('Run failed');
  });
});

describe('formatting', () => {
  it('rows, bytes and times', () => {
    expect(fmtRows(4096)).toBe('4Ki');
    expect(fmtRows(2 ** 20)).toBe('1Mi');
    expect(fmtRows(1000)).toBe('1,000');
    expect(fmtRows(123456)).toBe('123.5k');
    expect(fmtBytes(1536)).toBe('1.50 KiB');
    expect(fmtMs(0.05)).toBe('50 µs');
    expect(fmtMs(12.345)).toBe('12.3 ms');
    expect(fmtMs(undefined)).toBe('–');
  });
});
