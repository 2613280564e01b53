// How much a timing varies from step to step: the 10th to 90th percentile range (p10-p90), drawn
// as whiskers on the stage and sweep charts. A median alone hides a device that is busy with
// something else; a wide range says "measure again" better than any number of decimals.

import type { Chart, Plugin } from 'chart.js';

/** p90 / p10 above this and a timing is called noisy (one step in ten takes 1.5x the fast ones). */
export const NOISY_RATIO = 1.5;

export interface Spread {
  p10: number;
  p90: number;
}

/** Noisy: the slow tenth of the steps takes more than NOISY_RATIO times the fast tenth. */
export function isNoisy(s: Spread | undefined): boolean {
  if (!s || !(s.p90 > 0)) return false;
  return s.p10 <= 0 || s.p90 / s.p10 > NOISY_RATIO;
}

/** "p10-p90 1.2-1.9 ms" style text, or '' without a spread. */
export function spreadText(s: Spread | undefined, fmt: (ms: number) => string): string {
  return s ? `${fmt(s.p10)}–${fmt(s.p90)}` : '';
}

/**
 * Draws a whisker (a line with end caps) from p10 to p90 across each element of a dataset that
 * carries `whiskers: (Spread | null)[]`, on the value axis: horizontal for horizontal bars, vertical
 * for lines and vertical bars. Drawn after the datasets, so it sits on top of stacked bars.
 */
export const whiskerPlugin: Plugin = {
  id: 'labWhiskers',
  afterDatasetsDraw(chart: Chart) {
    const horizontal = (chart.options as { indexAxis?: string }).indexAxis === 'y';
    const scale = horizontal ? chart.scales.x : chart.scales.y;
    if (!scale) return;
    const ctx = chart.ctx;
    ctx.save();
    ctx.lineWidth = 1.5;
    chart.data.datasets.forEach((d, i) => {
      const ws = (d as { whiskers?: (Spread | null | undefined)[] }).whiskers;
      if (!ws || !chart.isDatasetVisible(i)) return;
      const meta = chart.getDatasetMeta(i);
      ctx.strokeStyle =
        (d as { whiskerColor?: string }).whiskerColor ??
        (typeof d.borderColor === 'string' ? d.borderColor : '#334155');
      ws.forEach((w, k) => {
        const el = meta.data[k] as unknown as { x: number; y: number } | undefined;
        if (!w || !el) return;
        const a = scale.getPixelForValue(w.p10);
        const b = scale.getPixelForValue(w.p90);
        const cap = 5;
        ctx.beginPath();
        if (horizontal) {
          ctx.moveTo(a, el.y);
          ctx.lineTo(b, el.y);
          ctx.moveTo(a, el.y - cap);
          ctx.lineTo(a, el.y + cap);
          ctx.moveTo(b, el.y - cap);
          ctx.lineTo(b, el.y + cap);
        } else {
          ctx.moveTo(el.x, a);
          ctx.lineTo(el.x, b);
          ctx.moveTo(el.x - cap, a);
          ctx.lineTo(el.x + cap, a);
          ctx.moveTo(el.x - cap, b);
          ctx.lineTo(el.x + cap, b);
        }
        ctx.stroke();
      });
    });
    ctx.restore();
  },
};
