// Criteo TSV: parsing, hashing to rows, the held-out split, and specific errors for bad files.
import { describe, expect, it } from 'vitest';
import { parseCriteo, hashToRow, DataError, CRITEO_TABLES } from '../../src/data/criteo';
import { INVALID_ROW } from '../../src/kernels/gather';
import { criteoText } from '../helpers/criteo';

const ROWS = new Array(CRITEO_TABLES).fill(1000);

describe('Criteo TSV', () => {
  it('parses labels, log-transformed integers and hashed categories, and holds out the tail', () => {
    const text = criteoText(200);
    const d = parseCriteo(text, ROWS, 30);
    expect(d.train.n).toBe(170);
    expect(d.eval.n).toBe(30);
    expect(d.train.T).toBe(26);
    expect(d.train.L).toBe(1);
    const first = text.split('\n')[0].split('\t');
    expect(d.train.labels[0]).toBe(Number(first[0]));
    for (let j = 0; j < 13; j++) {
      const want = first[1 + j] === '' ? 0 : Math.log1p(Math.max(0, Number(first[1 + j])));
      expect(d.train.dense[j]).toBeCloseTo(want, 5);
    }
    for (let t = 0; t < 26; t++) {
      const v = first[14 + t];
      expect(d.train.idx[t][0]).toBe(v === '' ? INVALID_ROW : hashToRow(t, v, 1000));
    }
    for (const a of d.train.idx) for (const r of a) expect(r === INVALID_ROW || r < 1000).toBe(true);
    expect(hashToRow(0, 'abc', 97)).not.toBe(hashToRow(1, 'abc', 97)); // tables hash apart
  });
  it('never holds out more than a fifth of the file', () => {
    expect(parseCriteo(criteoText(50), ROWS, 1000).eval.n).toBe(10);
  });
  const bad: [string, string, RegExp][] = [
    ['a short line', '1\t2\t3', /line 2: expected 40 tab-separated fields/],
    ['a bad label', '2' + '\t'.repeat(39), /line 2: label must be 0 or 1/],
    ['a non-integer', '1\t3.5' + '\t'.repeat(38), /line 2: integer feature I1 is not an integer/],
    [
      'a non-hex category',
      '1' + '\t'.repeat(13) + '\tzzzz' + '\t'.repeat(25),
      /line 2: categorical feature C1 is not hex/,
    ],
  ];
  for (const [name, line, re] of bad) {
    it(`names the line and field of ${name}`, () => {
      const text = criteoText(1) + line + '\n' + criteoText(3, 2);
      expect(() => parseCriteo(text, ROWS, 1)).toThrow(DataError);
      expect(() => parseCriteo(text, ROWS, 1)).toThrow(re);
    });
  }
  it('needs 26 tables', () => {
    expect(() => parseCriteo(criteoText(10), [10, 10], 2)).toThrow(/26 tables/);
  });
});

describe('Criteo TSV: what editors and tools write', () => {
  it('a UTF-8 byte-order mark and trailing blank lines are accepted', () => {
    const text = criteoText(20);
    const plain = parseCriteo(text, ROWS, 4);
    const odd = parseCriteo('\uFEFF' + text + '\n\n  \n\r\n', ROWS, 4);
    expect(odd.train.n + odd.eval.n).toBe(20);
    expect(Array.from(odd.train.labels)).toEqual(Array.from(plain.train.labels));
    expect(Array.from(odd.train.idx[0])).toEqual(Array.from(plain.train.idx[0]));
  });
  it('CR-only line endings are explained, not reported as a field count', () => {
    const text = criteoText(10).replace(/\n/g, '\r');
    expect(() => parseCriteo(text, ROWS, 2)).toThrow(/lines end in CR only .* tr/);
  });
  it('evalSize 0 holds out nothing', () => {
    const d = parseCriteo(criteoText(20), ROWS, 0);
    expect(d.eval.n).toBe(0);
    expect(d.train.n).toBe(20);
  });
  it('every malformed line is counted; the first few line numbers are listed', () => {
    const lines = criteoText(30).split('\n');
    for (const i of [3, 7, 8, 12, 20, 25, 27]) lines[i] = '1\tx';
    const e = (() => {
      try {
        parseCriteo(lines.join('\n'), ROWS, 2);
      } catch (err) {
        return err as DataError;
      }
    })();
    expect(e).toBeInstanceOf(DataError);
    expect(e!.line).toBe(4);
    expect(e!.message).toMatch(
      /^line 4: expected 40 tab-separated fields.*\(7 malformed lines in all, of 30: lines 4, 8, 9, 13, 21, …\)/,
    );
  });
});
