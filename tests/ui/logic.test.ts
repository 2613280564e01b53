// The UI's pure logic, in node: timing heuristics, run scheduling helpers, formatting.
import { describe, expect, it } from 'vitest';
import { looksQuantized, timestampQuantum } from '../../src/ui/state/timing';
import { chooseLogEvery, splitRows, sweepSizes } from '../../src/ui/state/runner';
import { compareStatus, ordinal } from '../../src/ui/state/jobs';
import { fmtBytes, fmtMs, fmtRows } from '../../src/ui/format';
import { describeError } from '../../src/ui/state/runner';
import { ConfigError, DEFAULT_CONFIG } from '../../src/config/config';
import { CRITEO_DENSE, CRITEO_TABLES, MAX_FILE_BYTES, readCriteo } from '../../src/ui/workers/data-source';
import { LabStore } from '../../src/ui/state/store';
import { criteoText } from '../helpers/criteo';

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
    for (const [s, e] of [
      [1000, 30],
      [5000, 64],
      [10, 3],
    ])
      expect(e % chooseLogEvery(s, e)).toBe(0);
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

describe('Criteo data in the lab', () => {
  const file = (name: string, text: string, size = text.length) => ({ name, size, text: async () => text });

  it('restates the parser constants', async () => {
    const m = await import('../../src/data/criteo');
    expect(CRITEO_TABLES).toBe(m.CRITEO_TABLES);
    expect(CRITEO_DENSE).toBe(m.CRITEO_DENSE);
  });

  it('reads a file: 26 tables of the first size when the config has another count, the split, the shapes', async () => {
    const loaded = await readCriteo(file('day.tsv', criteoText(600, 1)), DEFAULT_CONFIG);
    expect(loaded.patch).toEqual({
      tables: new Array(26).fill(DEFAULT_CONFIG.tables[0]),
      dense: 13,
      pooling: 1,
      datasetSize: 480,
      evalSize: 120,
    });
    expect(loaded.tablesNote).toMatch(/26 tables of 4,096 rows \(the first table's size\)/);
    expect(loaded.source.lines).toBe(600);
    expect(loaded.source.parsedIn).toBe('main'); // node has no Web Worker: the main-thread fallback
    expect(loaded.source.split(50)).toEqual({ train: 550, eval: 50 });
    expect(loaded.source.split(0)).toEqual({ train: 599, eval: 1 });
    // 26 tables in the config: their sizes are kept
    const rows = Array.from({ length: 26 }, (_, i) => 64 + i);
    const own = await readCriteo(file('day.tsv', criteoText(600, 1)), {
      ...DEFAULT_CONFIG,
      tables: rows,
      evalSize: 100,
    });
    expect(own.patch.tables).toEqual(rows);
    expect(own.tablesNote).toBeUndefined();
    expect(own.patch.evalSize).toBe(100);
  });

  it('re-hashes the kept text for other table sizes; refuses a table count that is not 26', async () => {
    const { source, patch } = await readCriteo(file('day.tsv', criteoText(300, 2)), DEFAULT_CONFIG);
    const cfg = { ...DEFAULT_CONFIG, ...patch };
    const a = await source.dataFor(cfg);
    expect(await source.dataFor(cfg)).toBe(a); // cached
    const small = await source.dataFor({ ...cfg, tables: new Array(26).fill(16) });
    expect(small.rows).toEqual(new Array(26).fill(16));
    expect(Math.max(...small.train.idx[5].filter((r) => r !== 0xffffffff))).toBeLessThan(16);
    expect(small.train.labels).toEqual(a.train.labels);
    await expect(source.dataFor({ ...cfg, tables: [16, 16] })).rejects.toThrow(/26 tables/);
  });

  it('a malformed line names the line and the field; a huge file is refused before reading', async () => {
    const lines = criteoText(40, 3).split('\n');
    const f = lines[6].split('\t');
    f[1 + 13 + 2] = 'zz';
    lines[6] = f.join('\t');
    await expect(readCriteo(file('bad.tsv', lines.join('\n')), DEFAULT_CONFIG)).rejects.toThrow(
      /^line 7: categorical feature C3 is not hex/,
    );
    let read = false;
    const huge = { name: 'day_0', size: MAX_FILE_BYTES + 1, text: async () => ((read = true), '') };
    await expect(readCriteo(huge, DEFAULT_CONFIG)).rejects.toThrow(
      /day_0 is 512 MiB: the lab reads files up to 512 MiB/,
    );
    expect(read).toBe(false);
  });

  it('the store: Criteo sets the shapes, the split follows evalSize, other shapes go back to synthetic', async () => {
    const s = new LabStore();
    s.useCriteo(await readCriteo(file('day.tsv', criteoText(600, 1)), s.config));
    expect(s.dataSource).toBe('criteo');
    expect(s.dataId).toBe(`criteo:day.tsv:${criteoText(600, 1).length}`);
    expect([s.config.tables.length, s.config.dense, s.config.pooling, s.config.datasetSize, s.config.evalSize]).toEqual(
      [26, 13, 1, 480, 120],
    );
    s.setConfig('evalSize', 60);
    expect(s.config.datasetSize).toBe(540);
    s.setConfig('tables', new Array(26).fill(128)); // a new size: still Criteo, re-hashed at the next run
    expect(s.dataSource).toBe('criteo');
    s.setConfig('pooling', 2);
    expect(s.dataSource).toBe('synthetic');
    expect(s.dataNote).toMatch(/Back on the synthetic task: the configuration now has pooling 2.*day.tsv is kept/);
    expect(s.criteo?.name).toBe('day.tsv');
    // runs on other data are not drawn beside the current ones
    expect(s.dataId).toBe('synthetic');
  });
});

describe('the status line of a comparison', () => {
  it('says which run, how far it is and of how many, with English ordinals', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '101st',
      '111th',
    ]);
    expect(compareStatus('DP-SGD', 120, 300, 2, 4, 'round 2 of 4')).toBe(
      'DP-SGD · step 120 of 300 · 2nd of 4 runs · round 2 of 4',
    );
    // one run alone needs no "1st of 1"; a run whose trainer is being made is starting
    expect(compareStatus('SGD', 5, 27, 1, 1)).toBe('SGD · step 5 of 27');
    expect(compareStatus('LazyDP', 0, 0, 2, 2)).toBe('LazyDP · starting · 2nd of 2 runs');
  });
});
