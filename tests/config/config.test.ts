// The one configuration object: defaults are valid, every bad value is an error naming its key.
import { describe, expect, it } from 'vitest';
import {
  CONFIG_KEYS,
  ConfigError,
  DEFAULT_CONFIG,
  SCHEMA,
  makeConfig,
  makeConfigLenient,
  lrAt,
  parseDecimal,
  parseValue,
  type Config,
} from '../../src/config/config';

function keyOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).key;
  }
  return undefined;
}

describe('config', () => {
  it('the defaults are a valid configuration', () => {
    expect(makeConfig({})).toEqual(DEFAULT_CONFIG);
  });
  const bad: [string, unknown][] = [
    ['tables', []],
    ['tables', [10, 0]],
    ['tables', 'a,b'],
    ['dim', 0],
    ['dim', 2.5],
    ['pooling', -1],
    ['batch', 'many'],
    ['bottom', new Array(9).fill(4)],
    ['lr', -1],
    ['lr', NaN],
    ['steps', 0],
    ['seed', '-3'],
    ['seed', '18446744073709551616'],
    ['zipf', 9],
    ['algo', 'adam'],
    ['sigma', -1],
    ['clip', 0],
    ['clipping', 'none'],
    ['delta', 1],
    ['accountant', 'moments'],
    ['sampling', 'x'],
    ['datasetSize', 0],
    ['noiseKernel', 'both'],
    ['interaction', 'cross'],
    ['dense', 0],
    ['dense', 1.5],
    ['top', [32, 0]],
    ['top', new Array(9).fill(4)],
    ['lrSchedule', 'linear'],
    ['dataSeed', -1],
    ['dataSeed', 2 ** 32],
    ['targetEpsilon', -0.5],
    ['evalSize', -1],
    ['evalEvery', 2.5],
    ['tableOptimizer', 'rmsprop'],
    ['mlpOptimizer', 'adagrad'],
    ['weightDecay', -0.1],
    ['weightDecay', 2],
    ['memoryLimit', 0],
    ['memoryLimit', 'lots'],
    ['festK', 0],
    ['festPrior', 'secret'],
    ['festHistogramSigma', -1],
    ['festBound', 0],
    ['selectionSigma', 0],
    ['selectionClip', -1],
    ['threshold', 'high'],
    ['microBatch', -1],
    ['microBatch', 2.5],
  ];
  for (const [k, v] of bad)
    it(`rejects ${k} = ${JSON.stringify(v)} naming the key`, () => expect(keyOf(() => makeConfig({ [k]: v }))).toBe(k));
  it('every key of the schema has at least one bad value above', () => {
    const covered = new Set(bad.map(([k]) => k));
    expect(CONFIG_KEYS.filter((k) => !covered.has(k))).toEqual([]);
  });
  it('lenient parsing reports each bad value under its key and keeps the default', () => {
    for (const [k, v] of bad) {
      const { config, errors } = makeConfigLenient({ [k]: v });
      expect(errors.map((e) => e.key)).toEqual([k]);
      expect(config[k as keyof Config]).toEqual(DEFAULT_CONFIG[k as keyof Config]);
    }
  });
  it('every numeric bound of the schema is enforced, naming the key, and the bounds themselves parse', () => {
    for (const k of CONFIG_KEYS) {
      const spec = SCHEMA[k];
      if (spec.kind !== 'int' && spec.kind !== 'num' && spec.kind !== 'intlist') continue;
      const wrap = (n: number) => (spec.kind === 'intlist' ? [n] : n);
      // just outside: the next integer, or a relative 1e-6 (an absolute 1e-6 at 0) for numbers
      const below = (n: number) => (spec.kind !== 'num' ? n - 1 : n > 0 ? n * (1 - 1e-6) : n - 1e-6);
      const above = (n: number) => (spec.kind !== 'num' ? n + 1 : n > 0 ? n * (1 + 1e-6) : n + 1e-6);
      if (spec.min !== undefined) {
        expect(
          keyOf(() => parseValue(k, wrap(below(spec.min!)))),
          `${k} below min`,
        ).toBe(k);
        expect(parseValue(k, wrap(spec.min))).toEqual(wrap(spec.min));
      }
      if (spec.max !== undefined) {
        expect(
          keyOf(() => parseValue(k, wrap(above(spec.max!)))),
          `${k} above max`,
        ).toBe(k);
        expect(parseValue(k, wrap(spec.max))).toEqual(wrap(spec.max));
      }
      if (spec.kind !== 'num')
        expect(
          keyOf(() => parseValue(k, wrap(spec.min! + 0.5))),
          `${k} non-integer`,
        ).toBe(k);
    }
  });
  it('rejects unknown and inherited keys', () => {
    expect(keyOf(() => makeConfig({ dimension: 4 }))).toBe('dimension');
    expect(keyOf(() => makeConfig(JSON.parse('{"__proto__": 1}')))).toBe('__proto__');
    expect(keyOf(() => makeConfig({ constructor: 1 }))).toBe('constructor');
    expect(keyOf(() => makeConfig({ toString: 1 }))).toBe('toString');
  });
  it('parses strings the way CLI flags and URLs give them', () => {
    const c = makeConfig({ tables: '100,200', dim: '8', lr: '0.1', seed: '18446744073709551615', algo: 'lazydp' });
    expect(c.tables).toEqual([100, 200]);
    expect(c.dim).toBe(8);
    expect(c.seed).toBe('18446744073709551615');
    expect(makeConfig({ seed: 42 }).seed).toBe('42');
  });
  it('batch above the data set is refused', () => {
    expect(keyOf(() => makeConfig({ batch: 100, datasetSize: 50 }))).toBe('batch');
  });
  it('lenient parsing keeps the default of each bad key and applies the rest', () => {
    const { config, errors } = makeConfigLenient({ dim: 'x', lr: 0.2, algo: 'nope' });
    expect(config.dim).toBe(DEFAULT_CONFIG.dim);
    expect(config.lr).toBe(0.2);
    expect(errors.map((e) => e.key).sort()).toEqual(['algo', 'dim']);
  });
  it('learning-rate schedules start at lr and stay positive', () => {
    for (const lrSchedule of ['constant', 'cosine', 'step'] as const) {
      const c = makeConfig({ lrSchedule, lr: 0.5, steps: 100 });
      expect(lrAt(c, 1)).toBeCloseTo(0.5);
      expect(lrAt(c, 100)).toBeGreaterThan(0);
      expect(lrAt(c, 100)).toBeLessThanOrEqual(0.5);
    }
  });
  it('every key has help text', () => {
    expect(CONFIG_KEYS.length).toBeGreaterThan(20);
    for (const k of CONFIG_KEYS) {
      const help: unknown = SCHEMA[k].help;
      expect(typeof help, k).toBe('string');
      expect((help as string).trim().length, `help of ${k}`).toBeGreaterThan(0);
    }
    // and every key has a default
    expect(Object.keys(DEFAULT_CONFIG).sort()).toEqual([...CONFIG_KEYS].sort());
  });
});

describe('numbers are plain decimals; big seeds stay exact', () => {
  it('hexadecimal, binary and octal are refused for every numeric key, naming the key', () => {
    for (const [key, v] of [
      ['batch', '0x10'],
      ['dim', '0b101'],
      ['steps', '0o17'],
      ['lr', '0x1p-2'],
      ['tables', '0x100,64'],
      ['sigma', ' 0X1'],
    ] as const) {
      expect(() => makeConfig({ [key]: v }), `${key}=${v}`).toThrow(
        new RegExp(`^${key}: expected a number.*decimal only`),
      );
    }
    expect(parseDecimal('1e3')).toBe(1000);
    expect(parseDecimal('-.5')).toBe(-0.5);
    expect(parseDecimal('Infinity')).toBeNaN();
    expect(parseDecimal('0x10')).toBeNaN();
    expect(makeConfig({ batch: '64', lr: '2.5e-1' })).toMatchObject({ batch: 64, lr: 0.25 });
  });
  it('a seed above 2^53 is accepted as a string, never as a rounded number', () => {
    expect(makeConfig({ seed: '9007199254740993' }).seed).toBe('9007199254740993');
    // eslint-disable-next-line no-loss-of-precision -- the point: this literal rounds to 2^53
    expect(() => makeConfig({ seed: 9007199254740993 })).toThrow(/seed: .*not an exact integer.*as a string/);
    expect(() => makeConfig(JSON.parse('{"seed": 18446744073709551615}'))).toThrow(/seed: .*as a string/);
    expect(makeConfig({ seed: 2 ** 53 - 1 }).seed).toBe(String(2 ** 53 - 1));
  });
});
