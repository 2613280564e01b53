import { describe, expect, it } from 'vitest';
import {
  CONFIG_KEYS,
  DEFAULT_CONFIG,
  SCHEMA,
  checkConsistency,
  makeConfig,
  parseValue,
  type Config,
} from '../../src/config/config';
import {
  DEFAULT_UI,
  MAX_FRAGMENT_CHARS,
  MAX_SHARED_SWEEP,
  UI_KEYS,
  UI_SCHEMA,
  decodeConfig,
  decodeState,
  encodeConfig,
  encodeState,
  type SharedResults,
  type UiState,
} from '../../src/config/url';
import { STAGES } from '../../src/engine/types';
import { privacyWarnings } from '../../src/ui/workers/privacy-compute';
import { cleanText, show } from '../../src/config/url-text';
import { FRONTIER_ALGO_NAMES } from '../../src/config/url-frontier';

// Small deterministic generator so a failure can be replayed from its seed.
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

function randomValue(key: keyof Config, r: () => number): unknown {
  const spec = SCHEMA[key];
  const lo = spec.min ?? 0;
  const hi = Math.min(spec.max ?? 1e6, 1e7);
  const int = () => Math.floor(lo + r() * (hi - lo + 1));
  // Floats of every magnitude, including ones whose shortest text uses an exponent.
  const float = () => {
    const pick = r();
    if (pick < 0.2) return lo;
    if (pick < 0.3) return hi;
    const logLo = Math.log10(Math.max(lo, 1e-12));
    const v = 10 ** (logLo + r() * (Math.log10(hi) - logLo));
    return Math.min(hi, Math.max(lo, v));
  };
  switch (spec.kind) {
    case 'int':
      return int();
    case 'num':
      return float();
    case 'intlist':
      return Array.from({ length: 1 + Math.floor(r() * Math.min(spec.maxLen ?? 4, 6)) }, int);
    case 'enum':
      return spec.values![Math.floor(r() * spec.values!.length)];
    case 'seed':
      return r() < 0.3 ? 'random' : r() < 0.5 ? '18446744073709551615' : String(Math.floor(r() * 2 ** 53));
  }
}

function randomConfig(seed: number): Config {
  const r = rng(seed);
  for (;;) {
    const partial: Record<string, unknown> = {};
    for (const k of CONFIG_KEYS) if (r() < 0.5) partial[k] = randomValue(k, r);
    try {
      return makeConfig(partial);
    } catch {
      // inconsistent combination (e.g. lazydp + adam): draw again
    }
  }
}

/** A valid frontier list: some private algorithms, or some targets of every magnitude. */
function randomList(k: string, r: () => number): string {
  if (k === 'frontierAlgos') {
    const some = FRONTIER_ALGO_NAMES.filter(() => r() < 0.5);
    return (some.length ? some : [FRONTIER_ALGO_NAMES[0]]).join(',');
  }
  const eps = [
    ...new Set(Array.from({ length: 1 + Math.floor(r() * 5) }, () => Number((10 ** (4 * r() - 2)).toPrecision(3)))),
  ];
  return eps.join(',');
}

function randomUi(seed: number): UiState {
  const r = rng(seed * 7 + 3);
  const ui = { ...DEFAULT_UI } as Record<string, unknown>;
  for (const k of UI_KEYS) {
    if (r() < 0.5) continue;
    const spec = UI_SCHEMA[k];
    if (spec.kind === 'bool') ui[k] = r() < 0.5;
    else if (spec.kind === 'enum') ui[k] = spec.values![Math.floor(r() * spec.values!.length)];
    else if (spec.kind === 'list') ui[k] = randomList(k, r);
    else ui[k] = Math.floor(spec.min! + r() * (Math.min(spec.max!, 1e6) - spec.min! + 1));
  }
  if ((ui.sweepFrom as number) > (ui.sweepTo as number)) [ui.sweepFrom, ui.sweepTo] = [ui.sweepTo, ui.sweepFrom];
  return ui as unknown as UiState;
}

describe('URL fragment: encoding', () => {
  it('the default configuration is just the version', () => {
    expect(encodeConfig(DEFAULT_CONFIG)).toBe('v=1');
  });

  it('writes only non-default keys, lists comma-separated', () => {
    const c = makeConfig({ tables: [1048576, 64], algo: 'lazydp', delta: 1e-7 });
    expect(encodeConfig(c)).toBe('v=1&tables=1048576,64&algo=lazydp&delta=1e-7');
  });

  it('carries the accountant (default prv, so only rdp is written), and names a bad one', () => {
    const c = makeConfig({ algo: 'dpsgd', accountant: 'rdp' });
    expect(encodeConfig(c)).toBe('v=1&algo=dpsgd&accountant=rdp');
    expect(decodeState('#v=1&algo=dpsgd&accountant=rdp').state.config.accountant).toBe('rdp');
    const bad = decodeState('#v=1&accountant=moments');
    expect(bad.state.config.accountant).toBe('prv');
    expect(bad.issues.map((i) => i.key)).toContain('accountant');
  });

  it('round-trips 500 random valid configurations exactly, with no issues', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const config = randomConfig(seed);
      const ui = randomUi(seed);
      const frag = encodeState({ config, ui });
      const { state, issues } = decodeState('#' + frag);
      expect(issues, `seed ${seed}: ${frag}`).toEqual([]);
      expect(state.config, `seed ${seed}: ${frag}`).toEqual(config);
      expect(state.ui, `seed ${seed}: ${frag}`).toEqual(ui);
      // compact: nothing default is written
      for (const k of CONFIG_KEYS)
        if (JSON.stringify(config[k]) === JSON.stringify(DEFAULT_CONFIG[k]))
          expect(frag).not.toMatch(new RegExp(`(^|&)${k}=`));
    }
  });

  it('round-trips shared results to 4 significant digits', () => {
    const results: SharedResults = {
      device: 'NVIDIA / hopper / H100 80GB & friends #1',
      timing: 'gpu-timestamp',
      algos: {
        dpsgd: {
          stageMs: { gather: 0.1234567, mlp_forward: 1, backward: 2.5, clip: 0.01, noise: 30.25, update: 12 },
          stepMs: 45.67891,
        },
        lazydp: {
          stageMs: { gather: 0.1, mlp_forward: 1, backward: 2.5, clip: 0.01, noise: 0, update: 0.5 },
          stepMs: 4.1,
        },
      },
    };
    const frag = encodeState({ config: DEFAULT_CONFIG, results });
    const { state, issues } = decodeState(frag);
    expect(issues).toEqual([]);
    expect(state.results!.device).toBe(results.device);
    expect(state.results!.timing).toBe('gpu-timestamp');
    expect(state.results!.algos.dpsgd!.stageMs.gather).toBe(0.1235);
    expect(state.results!.algos.dpsgd!.stepMs).toBe(45.68);
    expect(state.results!.algos.lazydp!.stageMs).toEqual(results.algos.lazydp!.stageMs);
    expect(state.results!.algos.sgd).toBeUndefined();
  });

  it('accepts a whole URL, with or without "#"', () => {
    const c = makeConfig({ algo: 'dpsgd', steps: 7 });
    const f = encodeConfig(c);
    expect(decodeConfig(`http://127.0.0.1:5173/index.html?x=1#${f}`).config).toEqual(c);
    expect(decodeConfig(f).config).toEqual(c);
    expect(decodeConfig('http://127.0.0.1:5173/').config).toEqual(DEFAULT_CONFIG);
  });
});

describe('URL fragment: bad input gives specific issues, never an exception', () => {
  const check = (frag: string) => {
    let out!: ReturnType<typeof decodeState>;
    expect(() => (out = decodeState(frag)), frag.slice(0, 80)).not.toThrow();
    expect(() => checkConsistency(out.state.config)).not.toThrow();
    for (const i of out.issues) {
      expect(typeof i.key).toBe('string');
      expect(i.message.length).toBeGreaterThan(0);
      expect(i.key.length).toBeLessThanOrEqual(41);
    }
    return out;
  };

  it('each bad field keeps its default; the other fields still apply', () => {
    const { state, issues } = check('#v=1&dim=abc&steps=50&algo=quantum&tables=1,-5&batch=1e999&lr=0.25');
    expect(state.config.steps).toBe(50);
    expect(state.config.lr).toBe(0.25);
    expect(state.config.dim).toBe(DEFAULT_CONFIG.dim);
    expect(state.config.algo).toBe(DEFAULT_CONFIG.algo);
    expect(state.config.tables).toEqual(DEFAULT_CONFIG.tables);
    expect(state.config.batch).toBe(DEFAULT_CONFIG.batch);
    const byKey = Object.fromEntries(issues.map((i) => [i.key, i.message]));
    expect(Object.keys(byKey).sort()).toEqual(['algo', 'batch', 'dim', 'tables']);
    expect(byKey.dim).toMatch(/expected a number.*default kept/);
    expect(byKey.algo).toMatch(/expected one of sgd, dpsgd, lazydp, lazydp-exact/);
    expect(byKey.tables).toMatch(/>= 1/);
  });

  it('keys that do not fit together are put back to their defaults', () => {
    const { state, issues } = check('#algo=lazydp&tableOptimizer=adam&steps=9');
    expect(state.config.steps).toBe(9);
    expect(() => checkConsistency(state.config)).not.toThrow();
    expect(issues.map((i) => i.key)).toEqual(['tableOptimizer']);
    expect(issues[0].message).toMatch(/plain SGD.*default kept/);
    const b = check('#batch=5000&datasetSize=100');
    expect(b.issues.map((i) => i.key)).toEqual(['batch', 'datasetSize']);
    expect(b.issues[1].message).toMatch(/conflicts with batch/);
  });

  it('hostile keys cannot touch prototypes or unknown state', () => {
    const { state, issues } = check(
      '#__proto__=1&constructor=x&toString=1&hasOwnProperty=2&r.__proto__=5&%5F%5Fproto%5F%5F[polluted]=1',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(state.config)).toBe(Object.prototype);
    expect(state.config).toEqual(DEFAULT_CONFIG);
    expect(issues.length).toBeGreaterThanOrEqual(5);
    expect(issues.every((i) => /unknown|no readable/.test(i.message))).toBe(true);
  });

  it('versions, duplicates, bad escapes, missing values', () => {
    expect(check('#v=2&steps=5').issues[0].message).toMatch(/newer lab/);
    expect(check('#v=zero').issues[0].message).toMatch(/unknown format version/);
    const d = check('#steps=5&steps=6');
    expect(d.state.config.steps).toBe(5);
    expect(d.issues[0].message).toMatch(/more than once/);
    expect(check('#steps=%E0%A4%A&dim=8').issues[0].message).toMatch(/percent-encoding/);
    expect(check('#steps=%E0%A4%A&dim=8').state.config.dim).toBe(8);
    expect(check('#steps').issues[0].message).toMatch(/no value/);
    expect(check('#view=nope&text=maybe').issues.map((i) => i.key)).toEqual(['view', 'text']);
    expect(check('#sweepFrom=20&sweepTo=10').issues[0].key).toBe('sweepTo');
    expect(check('#r.dpsgd=1_2_3&r.timing=sundial').issues.map((i) => i.key)).toEqual(['r.dpsgd', 'r.timing', 'r']);
  });

  it('huge fragments and huge values are refused whole, quickly', () => {
    const huge = '#v=1&tables=' + '1,'.repeat(MAX_FRAGMENT_CHARS);
    const t0 = performance.now();
    const h = check(huge);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(h.issues).toHaveLength(1);
    expect(h.issues[0].message).toMatch(/characters/);
    expect(h.state.config).toEqual(DEFAULT_CONFIG);
    const longValue = check('#seed=' + '9'.repeat(5000) + '&steps=3');
    expect(longValue.issues[0].key).toBe('seed');
    expect(longValue.state.config.steps).toBe(3);
    expect(check('#tables=' + '1,'.repeat(65) + '1').issues[0].message).toMatch(/at most 64/);
    expect(check('#' + 'a=1&'.repeat(300)).issues[0].message).toMatch(/only the first/);
  });

  it('every truncation of a valid fragment decodes without throwing', () => {
    const config = makeConfig({
      tables: [123456, 789, 5],
      algo: 'lazydp-exact',
      seed: '12345678901234567890',
      delta: 1e-9,
      lr: 0.0125,
    });
    const frag =
      '#' +
      encodeState({
        config,
        ui: { view: 'sweep', text: false },
        results: {
          device: 'A/B',
          timing: 'cpu',
          algos: { sgd: { stageMs: Object.fromEntries(STAGES.map((s) => [s, 1.5])) as never, stepMs: 9 } },
        },
      });
    for (let n = 0; n <= frag.length; n++) check(frag.slice(0, n));
  });

  /**
   * Every config field of a fragment either took effect (the config holds its parsed value) or
   * has an issue naming it; every unknown field is reported. Nothing is dropped silently.
   */
  const explained = (frag: string, out: ReturnType<typeof decodeState>) => {
    const seen = new Set<string>();
    let unknown = 0;
    for (const pair of frag
      .slice(1)
      .split('&')
      .filter((p) => p !== '')) {
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      let key: string, raw: string;
      try {
        key = decodeURIComponent(pair.slice(0, eq));
        raw = decodeURIComponent(pair.slice(eq + 1));
      } catch {
        continue;
      }
      if (seen.has(key)) continue;
      seen.add(key);
      if ((CONFIG_KEYS as string[]).includes(key)) {
        if (!out.issues.some((i) => i.key === key))
          expect(out.state.config[key as keyof Config], `${key}=${raw}`).toEqual(parseValue(key as keyof Config, raw));
      } else if (!(UI_KEYS as string[]).includes(key) && key !== 'v' && !key.startsWith('r.')) unknown++;
    }
    expect(out.issues.filter((i) => i.message.startsWith('unknown field')).length, frag).toBe(unknown);
  };

  it('2000 random fragments decode without throwing, and every field applies or is reported', () => {
    const r = rng(99);
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789=&%,._-#+:;/?~![]{}"\'\\ \u00e9\u4e2d\u0000';
    const keys = [...CONFIG_KEYS, ...UI_KEYS, 'v', 'r.dev', 'r.sgd', 'r.timing', '__proto__'];
    for (let i = 0; i < 2000; i++) {
      let s = '#';
      const n = Math.floor(r() * 12);
      for (let j = 0; j < n; j++) {
        const k = r() < 0.7 ? keys[Math.floor(r() * keys.length)] : '';
        let v = '';
        const len = Math.floor(r() * 20);
        for (let c = 0; c < len; c++) v += alphabet[Math.floor(r() * alphabet.length)];
        s += (j ? '&' : '') + k + (r() < 0.9 ? '=' : '') + v;
      }
      explained(s, check(s));
    }
  });
});

describe('URL fragment: privacy and shared-result checks', () => {
  it('a link with a sigma that gives no finite epsilon is applied; the privacy worker warns: "∞, no privacy"', () => {
    for (const frag of ['#algo=dpsgd&sigma=0', '#algo=lazydp&sigma=0.01']) {
      const d = decodeState(frag);
      expect(d.issues).toEqual([]);
      const warnings = privacyWarnings(d.state.config);
      expect(warnings.map((w) => w.key)).toEqual(['sigma']);
      expect(warnings[0].message).toMatch(/∞, no privacy/);
    }
    const warned = (frag: string) => privacyWarnings(decodeState(frag).state.config);
    expect(warned('#algo=dpsgd&sigma=1')).toEqual([]);
    expect(warned('#algo=sgd&sigma=0')).toEqual([]);
    expect(warned('#algo=dpsgd&sigma=0&targetEpsilon=3')).toEqual([]);
  });
  it('shared results: plain decimals only, and the step at least the sum of its stages', () => {
    const ok = decodeState('#r.dpsgd=1_2_3_4_5_6_21.5');
    expect(ok.issues).toEqual([]);
    for (const bad of ['0x10', '1e3', '0b11', '+5', ' 5', 'Infinity', '.5', '5.']) {
      const d = decodeState(`#r.dpsgd=${encodeURIComponent(bad)}_2_3_4_5_6_1000`);
      expect(
        d.issues.map((i) => i.key),
        bad,
      ).toContain('r.dpsgd');
      expect(d.issues[0].message).toMatch(/plain decimal/);
    }
    const short = decodeState('#r.dpsgd=10_20_30_40_50_60_1');
    expect(short.issues[0].key).toBe('r.dpsgd');
    expect(short.issues[0].message).toMatch(/less than the sum of its stages/);
    // what the lab writes always reads back, even when the median step is below the stages' sum
    const results: SharedResults = {
      device: 'x',
      timing: 'cpu',
      algos: { sgd: { stageMs: { gather: 5, mlp_forward: 5, backward: 5, clip: 5, noise: 5, update: 5 }, stepMs: 20 } },
    };
    const back = decodeState(encodeState({ config: DEFAULT_CONFIG, results }));
    expect(back.issues).toEqual([]);
    expect(back.state.results!.algos.sgd!.stepMs).toBeGreaterThanOrEqual(30 / 1.01);
  });
});

describe('shared results: date, browser, steps, spread and sweep', () => {
  const stages = (ms: number) => Object.fromEntries(STAGES.map((s) => [s, ms])) as never;
  const results: SharedResults = {
    device: 'SwiftShader / 2 cores',
    timing: 'gpu-timestamp',
    date: '2026-12-01T22:30Z',
    browser: 'Chrome 131',
    algos: {
      dpsgd: { stageMs: stages(1.25), stepMs: 8.123456, spread: { p10: 7.5, p90: 12.34567 }, steps: 240 },
      lazydp: { stageMs: stages(0.5), stepMs: 3.25 }, // an old-style entry: medians only
    },
    sweep: [
      { algo: 'dpsgd', totalRows: 4096, stepMs: 70.6, spread: { p10: 68.2, p90: 75.01 } },
      { algo: 'lazydp-exact', totalRows: 1048576, stepMs: 90.2 },
    ],
  };

  it('round-trips date, browser, steps, p10-p90 and the sweep', () => {
    const frag = encodeState({ config: DEFAULT_CONFIG, results });
    expect(frag).toContain('r.date=2026-12-01T22:30Z');
    expect(frag).toContain('r.sweep=dpsgd:4096:70.6:68.2:75.01,lazydp-exact:1048576:90.2');
    const { state, issues } = decodeState(frag);
    expect(issues).toEqual([]);
    const r = state.results!;
    expect(r.date).toBe('2026-12-01T22:30Z');
    expect(r.browser).toBe('Chrome 131');
    expect(r.algos.dpsgd!.stepMs).toBe(8.123);
    expect(r.algos.dpsgd!.spread).toEqual({ p10: 7.5, p90: 12.35 });
    expect(r.algos.dpsgd!.steps).toBe(240);
    expect(r.algos.lazydp!.spread).toBeUndefined();
    expect(r.algos.lazydp!.steps).toBeUndefined();
    expect(r.sweep).toEqual(results.sweep);
  });

  it('refuses a spread that does not hold its median, a bad date and a bad sweep, each with its own issue', () => {
    const base = '1_1_1_1_1_1_6';
    expect(decodeState(`#r.dpsgd=${base}_5_7_100`).issues).toEqual([]);
    const byKey = (frag: string) => decodeState(frag).issues.map((i) => i.key);
    expect(byKey(`#r.dpsgd=${base}_6.5_7_100`)).toContain('r.dpsgd'); // p10 above the median
    expect(byKey(`#r.dpsgd=${base}_5_5.5_100`)).toContain('r.dpsgd'); // p90 below it
    expect(byKey(`#r.dpsgd=${base}_5_7_1.5`)).toContain('r.dpsgd'); // steps not whole
    expect(byKey(`#r.dpsgd=${base}_5_7`)).toContain('r.dpsgd'); // a tail cut short
    const bad = decodeState(`#r.dpsgd=${base}&r.date=yesterday&r.sweep=dpsgd:4096:1e3`);
    expect(bad.issues.map((i) => i.key)).toEqual(['r.date', 'r.sweep']);
    expect(bad.state.results!.date).toBeUndefined();
    expect(bad.state.results!.sweep).toBeUndefined();
    expect(byKey('#r.sweep=quantum:4096:1')).toContain('r.sweep');
    expect(byKey('#r.sweep=dpsgd:4096:5:6:7')).toContain('r.sweep');
    expect(
      byKey(
        '#r.sweep=' +
          Array(MAX_SHARED_SWEEP + 1)
            .fill('sgd:1:1')
            .join(','),
      ),
    ).toContain('r.sweep');
    // a link with only a sweep still carries results
    expect(decodeState('#r.sweep=sgd:256:1.5').state.results!.sweep).toEqual([
      { algo: 'sgd', totalRows: 256, stepMs: 1.5 },
    ]);
  });
});

describe('texts a link brings in', () => {
  // U+202E (right-to-left override) turns "GeForce gpj.exe" around on screen; U+2066-2069 isolate,
  // U+200B-200F are zero-width characters and marks, U+0085 and U+009B are C1 controls
  const hostile = 'NVIDIA\u202e gpj.exe\u202c \u2066x\u2069\u200b\u200f\u0085\u009b\u0007\nGPU\tA\ufeff';

  it('cleanText drops control, bidi and zero-width characters; line breaks and tabs become spaces', () => {
    expect(cleanText(hostile)).toBe('NVIDIA gpj.exe x GPU A');
    expect(cleanText('Chrome 131 (headless)')).toBe('Chrome 131 (headless)');
    expect(cleanText('ünïcödé 日本 😀')).toBe('ünïcödé 日本 😀');
    // cut on whole code points: no lone surrogate at the end
    expect(cleanText('ab😀cd', 3)).toBe('ab😀');
    expect(cleanText(42 as unknown)).toBe('');
  });

  it('r.dev and r.browser are shown without bidi overrides or controls', () => {
    const frag = `#r.dev=${encodeURIComponent(hostile)}&r.browser=${encodeURIComponent('Chrome\u202e131')}&r.dpsgd=1_2_3_4_5_6_21.5`;
    const d = decodeState(frag);
    expect(d.issues).toEqual([]);
    expect(d.state.results!.device).toBe('NVIDIA gpj.exe x GPU A');
    expect(d.state.results!.browser).toBe('Chrome131');
  });

  it('a value echoed in a message shows bidi characters as escapes', () => {
    expect(show('a\u202eb')).toBe('"a\\u202eb"');
    const d = decodeState(`#r.date=${encodeURIComponent('2026\u202e-01-01')}&r.dpsgd=1_2_3_4_5_6_21.5`);
    expect(d.issues[0].message).toContain('\\u202e');
    expect(d.issues[0].message).not.toMatch(/[\u202a-\u202e]/);
  });
});
