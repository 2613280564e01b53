// The numbers a shared link carries: the device, the browser and the medians measured here.

import type { SharedResults } from '../../config/url';
import { store } from './store';

/** The browser and its major version from the user agent ('Edge 131', 'Chrome 131', 'Firefox 141', 'Safari 26'). */
export function browserName(ua = globalThis.navigator?.userAgent ?? ''): string {
  const m = ua.match(/(Edg|OPR|Firefox|Chrome)\/(\d+)/) ?? (/Safari\//.test(ua) ? ua.match(/(Version)\/(\d+)/) : null);
  if (!m) return ua.slice(0, 60);
  const name = { Edg: 'Edge', OPR: 'Opera', Version: 'Safari' }[m[1]] ?? m[1];
  return `${name} ${m[2]}${/Headless/.test(ua) ? ' (headless)' : ''}`;
}

export function deviceLine(): string {
  const d = store.device;
  if (!d) return 'unknown device';
  return [d.vendor, d.architecture, d.description].filter(Boolean).join(' / ') || 'unknown device';
}

/** Measured medians per algorithm on the current configuration, for a shared link. */
export function sharedResults(): SharedResults | undefined {
  const latest = store.latestByAlgo((r) => !!r.summary && r.summary.steps > 0);
  if (latest.size === 0 && !store.sweep.some((p) => p.stepMs !== undefined)) return undefined;
  const algos: SharedResults['algos'] = {};
  let timing: SharedResults['timing'] = 'gpu-timestamp';
  for (const [algo, r] of latest) {
    const sm = r.summary!;
    algos[algo] = {
      stageMs: sm.stageMedianMs,
      stepMs: sm.stepMedianMs,
      spread:
        sm.stepP10Ms !== undefined && sm.stepP90Ms !== undefined ? { p10: sm.stepP10Ms, p90: sm.stepP90Ms } : undefined,
      steps: sm.timedSteps,
    };
    if (r.timing === 'cpu') timing = 'cpu';
  }
  // the sweep, compactly: measured points only
  const sweep = store.sweep
    .filter((p) => p.stepMs !== undefined)
    .map((p) => ({ algo: p.algo, totalRows: p.totalRows, stepMs: p.stepMs!, spread: p.spread }));
  // when the newest of these numbers was measured (to the minute, UTC)
  const when =
    [...latest.values()]
      .map((r) => r.finishedAt ?? '')
      .sort()
      .at(-1) || new Date().toISOString();
  const date = when.slice(0, 16) + 'Z';
  return {
    device: deviceLine(),
    timing,
    algos,
    date,
    browser: browserName(),
    sweep: sweep.length ? sweep : undefined,
  };
}
