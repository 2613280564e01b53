// The teaching view's histogram (teach-view.ts): why one draw of N(0, k·s²) can stand for k
// pending draws of N(0, s²), drawn from the lab's own Philox stream so the picture is the same
// every time.

import type { ChartSpec } from '../charts/lab-chart';
import { normals4, philox4x32 } from '../../noise/philox';
import { niceStep } from '../format';
import { ALGORITHMS, FEATURED, algorithm } from '../../algorithms';

// the two sides the view compares: eager noise (every row every step) and the featured lazy one
export const EAGER_COLOR = ALGORITHMS.find((a) => a.tableNoise === 'eager')!.color;
export const LAZY_COLOR = algorithm(FEATURED).color;

/**
 * Histogram of the sum of k draws N(0, s²) against single draws N(0, k s²). Bins are centred on
 * multiples of a round width and only round values are labelled, so the axis reads -4, -2, 0, 2, 4.
 */
export function aggregationSpec(k: number, n = 6000): ChartSpec {
  const w = niceStep((8 * Math.sqrt(k)) / 60);
  const half = Math.ceil((4 * Math.sqrt(k)) / w);
  const bins = 2 * half + 1;
  const lim = (half + 0.5) * w;
  const major = w * Math.max(1, Math.round(niceStep((2 * half * w) / 8) / w));
  const sum = new Array(bins).fill(0);
  const one = new Array(bins).fill(0);
  const put = (h: number[], x: number) => {
    const b = Math.floor((x + lim) / w);
    if (b >= 0 && b < bins) h[b]++;
  };
  // Philox with a fixed teaching key: the same picture every time, no Math.random
  let ctr = 0;
  const draws: number[] = [];
  const next = () => {
    if (draws.length === 0) draws.push(...normals4(philox4x32(ctr++, 0, 0, 7, 0x5eed, 0x7ea)));
    return draws.pop()!;
  };
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += next();
    put(sum, s);
    put(one, Math.sqrt(k) * next());
  }
  const xs = Array.from({ length: bins }, (_, b) => (b - half) * w);
  const round = (x: number) => Math.abs(x / major - Math.round(x / major)) < 1e-6;
  const pdf = xs.map((x) => (n * w * Math.exp(-(x * x) / (2 * k))) / Math.sqrt(2 * Math.PI * k));
  return {
    type: 'bar',
    data: {
      labels: xs.map((x) => String(Number(x.toPrecision(6)))),
      datasets: [
        {
          type: 'bar',
          label: `sum of ${k} draws of N(0, s²)`,
          data: sum,
          backgroundColor: EAGER_COLOR + '66',
          borderWidth: 0,
          barPercentage: 1,
          categoryPercentage: 1,
        },
        {
          type: 'bar',
          label: `one draw of N(0, ${k}·s²)`,
          data: one,
          // outlined, not filled: two translucent fills on top of each other blend into a third colour
          backgroundColor: 'transparent',
          borderColor: LAZY_COLOR,
          borderWidth: 2,
          barPercentage: 1,
          categoryPercentage: 1,
          grouped: false,
        },
        {
          type: 'line',
          label: 'density of N(0, k·s²)',
          data: pdf,
          borderColor: '#64748b',
          borderWidth: 1.5,
          pointRadius: 0,
          tension: 0.3,
        },
      ],
    } as never,
    options: {
      scales: {
        x: {
          title: { display: true, text: 'value (s = 1)' },
          ticks: {
            autoSkip: false,
            maxRotation: 0,
            callback: (_v: unknown, i: number) => (round(xs[i]) ? String(Number(xs[i].toPrecision(6))) : null),
          },
        },
        y: { title: { display: true, text: `count of ${n}` } },
      },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
    },
  };
}
