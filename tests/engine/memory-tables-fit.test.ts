// Tables that do not fit even without the largest: the message names the rows per table that
// would fit, and that size really fits (one row more does not).
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/config/config';
import { estimateMemory } from '../../src/engine/memory';

describe('tables beyond the memory limit', () => {
  it('even without the largest table: the largest rows per table that fits', () => {
    const c = makeConfig({ tables: [1_000_000, 1_000_000, 900_000, 1_000_000], dim: 64, memoryLimit: 0.5 });
    const e = estimateMemory(c);
    expect(e.fits).toBe(false);
    expect(e.problemKey).toBe('tables');
    const m = e.problem!.match(/tables of at most ([\d,]+) rows each fit \(the largest has 1,000,000\)/);
    expect(m, e.problem).not.toBeNull();
    const R = Number(m![1].replace(/,/g, ''));
    const cap = (r: number) => makeConfig({ ...c, tables: c.tables.map((t) => Math.min(t, r)) });
    expect(estimateMemory(cap(R)).fits).toBe(true);
    expect(estimateMemory(cap(R + 1)).fits).toBe(false);
  });
});
