// The frontier's charts and table (pure: specs from a result): held-out AUC against ε on a log
// axis, one curve per algorithm (registry colours and labels), its spread over seeds as whiskers
// (mean ± one standard deviation), the non-private baseline as a line and the planted teacher's
// AUC as the ceiling; and the cost, step time and rows written per step, against ε.
import type { ChartDataset } from 'chart.js';
import type { Algo } from '../config/config';
import { meanSd, summarize, type FrontierResult, type FrontierSummary } from '../frontier/frontier';
import type { ChartSpec } from './lab-chart';
import { ALGO_COLORS, ALGO_LABELS } from './styles';
import { whiskerPlugin } from './spread';

const algosOf = (s: FrontierSummary[]) => [...new Set(s.map((p) => p.algo))] as Algo[];

/** The ε axis: logarithmic, ticks at the targets. */
function epsAxis(targets: number[]) {
  const lo = Math.min(...targets),
    hi = Math.max(...targets);
  return {
    type: 'logarithmic' as const,
    title: { display: true, text: 'target ε (log scale)' },
    min: lo / 1.3,
    max: hi * 1.3,
    afterBuildTicks: (axis: { ticks: { value: number }[] }) => {
      axis.ticks = targets.map((value) => ({ value }));
    },
    // the log scale labels only 1, 2 and 5 of each decade by default: label every target
    ticks: { callback: (v: number | string) => String(+v) },
  };
}

/** A horizontal reference line across the ε axis. */
function level(label: string, y: number, targets: number[], color: string, dash: number[]): ChartDataset<'line'> {
  const lo = Math.min(...targets) / 1.3,
    hi = Math.max(...targets) * 1.3;
  return {
    label,
    data: [
      { x: lo, y },
      { x: hi, y },
    ],
    borderColor: color,
    backgroundColor: color,
    borderDash: dash,
    borderWidth: 1.5,
    pointRadius: 0,
  };
}

export function aucSpec(r: FrontierResult | undefined): ChartSpec {
  const s = summarize(r?.points ?? []);
  const targets = r?.epsilons.length ? r.epsilons : [1];
  const datasets: ChartDataset<'line'>[] = algosOf(s).map((a) => {
    const mine = s.filter((p) => p.algo === a);
    return {
      label: ALGO_LABELS[a],
      data: mine.map((p) => ({ x: p.targetEpsilon, y: p.auc.mean })),
      // the spread over seeds (none with one seed)
      whiskers: mine.map((p) => (p.seeds > 1 ? { p10: p.auc.mean - p.auc.sd, p90: p.auc.mean + p.auc.sd } : null)),
      borderColor: ALGO_COLORS[a],
      backgroundColor: ALGO_COLORS[a],
      borderWidth: 2,
      pointRadius: 3,
    } as ChartDataset<'line'>;
  });
  if (s.length && r?.baseline.length)
    datasets.push(level('non-private baseline', meanSd(r.baseline.map((b) => b.auc)).mean, targets, '#64748b', [6, 4]));
  if (s.length && r?.teacherAuc !== undefined)
    datasets.push(level('planted teacher (ceiling)', r.teacherAuc, targets, '#16a34a', [2, 3]));
  return {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      scales: { x: epsAxis(targets), y: { title: { display: true, text: 'held-out AUC' } } },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
    },
    plugins: [whiskerPlugin],
  } as ChartSpec;
}

export function costSpec(r: FrontierResult | undefined): ChartSpec {
  const s = summarize(r?.points ?? []);
  const targets = r?.epsilons.length ? r.epsilons : [1];
  const datasets = algosOf(s).flatMap((a) => {
    const mine = s.filter((p) => p.algo === a);
    const line = { borderColor: ALGO_COLORS[a], backgroundColor: ALGO_COLORS[a], borderWidth: 2, pointRadius: 3 };
    return [
      {
        ...line,
        label: `${ALGO_LABELS[a]} · step ms`,
        data: mine.map((p) => ({ x: p.targetEpsilon, y: p.stepMedianMs })),
        yAxisID: 'y',
      },
      {
        ...line,
        label: `${ALGO_LABELS[a]} · rows written / step`,
        data: mine.map((p) => ({ x: p.targetEpsilon, y: p.rowsUpdated })),
        yAxisID: 'y2',
        borderDash: [6, 4],
        pointStyle: 'rect',
      },
    ] as ChartDataset<'line'>[];
  });
  return {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      scales: {
        x: epsAxis(targets),
        y: { title: { display: true, text: 'median step (ms), solid' }, beginAtZero: true },
        y2: {
          position: 'right',
          title: { display: true, text: 'rows written per step, dashed' },
          beginAtZero: true,
          grid: { drawOnChartArea: false },
        },
      },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
    },
  } as ChartSpec;
}

/** The frontier as a table (CSV): one row per (algorithm, target) over the seeds done, and the baseline's. */
export function frontierRows(r: FrontierResult): { columns: string[]; rows: (string | number)[][] } {
  const columns = [
    'algo',
    'target ε',
    'ε',
    'σ',
    'seeds',
    'AUC mean',
    'AUC sd',
    'eval loss mean',
    'eval loss sd',
    'step ms',
    'rows written / step',
  ];
  const rows: (string | number)[][] = [];
  if (r.baseline.length) {
    const a = meanSd(r.baseline.map((b) => b.auc)),
      l = meanSd(r.baseline.map((b) => b.evalLoss));
    const ms = meanSd(r.baseline.map((b) => b.stepMedianMs)).mean,
      rows0 = meanSd(r.baseline.map((b) => b.rowsUpdated)).mean;
    rows.push([r.baseline[0].algo, '', '', '', r.baseline.length, a.mean, a.sd, l.mean, l.sd, ms, rows0]);
  }
  for (const p of summarize(r.points))
    rows.push([
      p.algo,
      p.targetEpsilon,
      p.epsilon,
      p.sigma,
      p.seeds,
      p.auc.mean,
      p.auc.sd,
      p.evalLoss.mean,
      p.evalLoss.sd,
      p.stepMedianMs,
      p.rowsUpdated,
    ]);
  return { columns, rows };
}
