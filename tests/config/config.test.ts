// The one configuration object: defaults are valid, every bad value is an error naming its key.
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, ConfigError, DEFAULT_CONFIG, makeConfig, makeConfigLenient, lrAt } from '../../src/config/config';

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
    ['tables', []], ['tables', [10, 0]], ['tables', 'a,b'], ['dim', 0], ['dim', 2.5], ['pooling', -1], ['batch', 'many'],
    ['bottom', new Array(9).fill(4)], ['lr', -1], ['lr', NaN], ['steps', 0], ['seed', '-3'], ['seed', '18446744073709551616'],
    ['zipf', 9], ['algo', 'adam'], ['sigma', -1], ['clip', 0], ['clipping', 'none'], ['delta', 1], ['sampling', 'x'],
    ['datasetSize', 0], ['noiseKernel', 'both'], ['interaction', 'cross'],
  ];
  for (const [k, v] of bad) it(`rejects ${k} = ${JSON.stringify(v)} naming the key`, () => expect(keyOf(() => makeConfig({ [k]: v }))).toBe(k));
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
  });
});
