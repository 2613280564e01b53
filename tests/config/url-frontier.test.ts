// The frontier's settings in a link: compact, exact, and a bad value names itself and keeps the default.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config';
import { DEFAULT_UI, decodeState, encodeState } from '../../src/config/url';
import { FRONTIER_DEFAULT, parseFrontierAlgos, parseFrontierEpsilons } from '../../src/config/url-frontier';

describe('frontier fields of the link', () => {
  it('leaves the defaults out, and round-trips chosen algorithms, targets and seeds', () => {
    expect(encodeState({ config: DEFAULT_CONFIG, ui: { view: 'frontier' } })).toBe('v=1&view=frontier');
    expect(DEFAULT_UI.frontierAlgos).toBe(FRONTIER_DEFAULT.algos.join(','));
    const ui = {
      view: 'frontier' as const,
      frontierAlgos: 'dp-adafest,lazydp',
      frontierEpsilons: '0.25,4',
      frontierSeeds: 3,
    };
    const frag = encodeState({ config: DEFAULT_CONFIG, ui });
    expect(frag).toBe('v=1&view=frontier&frontierAlgos=dp-adafest,lazydp&frontierEpsilons=0.25,4&frontierSeeds=3');
    const { state, issues } = decodeState('#' + frag);
    expect(issues).toEqual([]);
    expect(state.ui).toEqual({ ...DEFAULT_UI, ...ui });
  });

  it('normalises what it reads (spaces, number text) so the link stays short', () => {
    const { state, issues } = decodeState('#v=1&frontierEpsilons=0.50,%201e0,2');
    expect(issues).toEqual([]);
    expect(state.ui.frontierEpsilons).toBe('0.5,1,2');
  });

  it('names a bad field and keeps its default, the others still apply', () => {
    const { state, issues } = decodeState('#v=1&frontierAlgos=sgd,lazydp&frontierEpsilons=1,0&frontierSeeds=0');
    expect(issues.map((i) => i.key).sort()).toEqual(['frontierAlgos', 'frontierEpsilons', 'frontierSeeds']);
    const byKey = Object.fromEntries(issues.map((i) => [i.key, i.message]));
    expect(byKey.frontierAlgos).toMatch(/"sgd" is not a private algorithm \(choose from .*lazydp.*\); default kept/);
    expect(byKey.frontierEpsilons).toMatch(/each target must be a number in \(0, 1e6\], got 0; default kept/);
    expect(byKey.frontierSeeds).toMatch(/must be >= 1, got 0; default kept/);
    expect(state.ui.frontierAlgos).toBe(DEFAULT_UI.frontierAlgos);
    expect(state.ui.frontierEpsilons).toBe(DEFAULT_UI.frontierEpsilons);
    expect(state.ui.frontierSeeds).toBe(1);
  });

  it('refuses repeats, empty items and too many targets', () => {
    expect(() => parseFrontierAlgos('lazydp,lazydp')).toThrow(/each value once/);
    expect(() => parseFrontierAlgos('lazydp,')).toThrow(/comma-separated list of private algorithms/);
    expect(() => parseFrontierEpsilons('1,1.0')).toThrow(/each value once/);
    expect(() => parseFrontierEpsilons(Array.from({ length: 13 }, (_, i) => i + 1).join(','))).toThrow(
      /13 targets: at most 12/,
    );
    expect(parseFrontierEpsilons('8, 0.5')).toEqual([8, 0.5]);
  });
});

describe('a shared frontier in the link (r.frontier, r.fbase, r.fceil)', () => {
  const frontier = {
    points: [
      { algo: 'dpsgd' as const, eps: 0.5, auc: 0.8236, sd: 0, stepMs: 472, rows: 9472 },
      { algo: 'lazydp' as const, eps: 8, auc: 0.8444, sd: 0.0031, stepMs: 237.5, rows: 2650.25 },
    ],
    baseline: 0.853,
    teacher: 0.8886,
  };
  const results = { device: 'gpu', timing: 'cpu' as const, algos: {}, frontier };

  it('round-trips compactly, four significant digits', () => {
    const frag = encodeState({ config: DEFAULT_CONFIG, ui: { view: 'frontier' }, results });
    expect(frag).toContain(
      'r.frontier=dpsgd:0.5:0.8236:0:472:9472,lazydp:8:0.8444:0.0031:237.5:2650&r.fbase=0.853&r.fceil=0.8886',
    );
    const { state, issues } = decodeState('#' + frag);
    expect(issues).toEqual([]);
    expect(state.results?.frontier).toEqual({
      ...frontier,
      points: [frontier.points[0], { ...frontier.points[1], rows: 2650 }],
    });
  });

  it('drops a bad field with an issue naming it; a ceiling without points is no result', () => {
    const bad = decodeState('#v=1&r.dev=x&r.timing=cpu&r.frontier=dpsgd:0:0.8:0:1:1&r.fceil=0.9');
    expect(bad.issues.map((i) => [i.key, i.message])).toEqual([
      ['r.frontier', 'expected a target epsilon > 0, got "0"; ignored'],
      ['r', 'the link carries no readable measured results'],
    ]);
    expect(bad.state.results).toBeUndefined();
    const auc = decodeState('#v=1&r.dev=x&r.frontier=lazydp:1:1.5:0:1:1,lazydp:2:0.8:0:1:1');
    expect(auc.issues[0]).toEqual({
      key: 'r.frontier',
      message: 'expected an AUC in [0, 1] as a plain decimal, got "1.5"; ignored',
    });
    const algo = decodeState('#v=1&r.dev=x&r.frontier=sgd2:1:0.5:0:1:1');
    expect(algo.issues[0].message).toMatch(/unknown algorithm "sgd2" in the frontier/);
    const shape = decodeState('#v=1&r.dev=x&r.frontier=lazydp:1:0.5');
    expect(shape.issues[0].message).toMatch(/expected algo:eps:auc:sd:ms:rows/);
  });
});
