// The frontier's charts and table (pure: specs from a result): held-out AUC against ε on a log
// axis, one curve per algorithm (registry colours and labels), its spread over seeds as whiskers
// (mean ± one standard deviation), the non-private baseline as a line and the planted teacher's
// AUC as the ceiling; and the cost, step time and rows written per step, against ε.
import type { ChartDataset } from 'chart.js';
import type { Algo } from '../../config/config';
import type { SharedFrontier } from '../../config/url';
import { meanSd, summarize, type FrontierResult, type FrontierSummary } from '../../frontier/frontier';
import type { ChartSpec } from '../charts/lab-chart';
import { ALGO_COLORS, ALGO_LABELS } from '../styles';
import { whiskerPlugin } from '../charts/spread';

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

/** The frontier for a link: one point per (algorithm, ε) over the seeds done, the baseline and the ceiling. */
export function sharedFrontier(r: FrontierResult): SharedFrontier {
  const points = summarize(r.points).map((p) => ({
    algo: p.algo,
    eps: p.targetEpsilon,
    auc: p.auc.mean,
    sd: p.auc.sd,
    stepMs: p.stepMedianMs,
    rows: p.rowsUpdated,
  }));
  const baseline = r.baseline.length ? meanSd(r.baseline.map((b) => b.auc)).mean : undefined;
  return { points, baseline, teacher: r.teacherAuc };
}

/** The sender's curves from a shared link: dashed, thinner, beside the ones measured here. */
function senderSets(
  f: SharedFrontier | undefined,
  y: (p: SharedFrontier['points'][number]) => number,
): ChartDataset<'line'>[] {
  const pts = f?.points ?? [];
  return ([...new Set(pts.map((p) => p.algo))] as Algo[]).map((a) => ({
    label: `sender · ${ALGO_LABELS[a]}`,
    data: pts.filter((p) => p.algo === a).map((p) => ({ x: p.eps, y: y(p) })),
    borderColor: ALGO_COLORS[a],
    backgroundColor: ALGO_COLORS[a] + '88',
    borderDash: [6, 4],
    borderWidth: 1.5,
    pointRadius: 2,
  }));
}

/** The ε axis's ticks: the targets measured here, or the sender's. */
function targetsOf(r: FrontierResult | undefined, f: SharedFrontier | undefined): number[] {
  const t = r?.epsilons.length ? [...r.epsilons] : [...new Set((f?.points ?? []).map((p) => p.eps))];
  return t.length ? t.sort((a, b) => a - b) : [1];
}

export function aucSpec(r: FrontierResult | undefined, shared?: SharedFrontier): ChartSpec {
  const s = summarize(r?.points ?? []);
  const targets = targetsOf(r, shared);
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
  datasets.push(...senderSets(shared, (p) => p.auc));
  const base = r?.baseline.length ? meanSd(r.baseline.map((b) => b.auc)).mean : shared?.baseline;
  const ceiling = r?.teacherAuc ?? shared?.teacher;
  const any = s.length > 0 || (shared?.points.length ?? 0) > 0;
  if (any && base !== undefined) datasets.push(level('non-private baseline', base, targets, '#64748b', [6, 4]));
  if (any && ceiling !== undefined)
    datasets.push(level('planted teacher (ceiling)', ceiling, targets, '#16a34a', [2, 3]));
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

export function costSpec(r: FrontierResult | undefined, shared?: SharedFrontier): ChartSpec {
  const s = summarize(r?.points ?? []);
  const targets = targetsOf(r, shared);
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
  // the sender's step times only: one more dashed line per algorithm is all the chart can read
  datasets.push(
    ...senderSets(shared, (p) => p.stepMs).map((d) => ({
      ...d,
      label: `${d.label} · step ms`,
      yAxisID: 'y',
      borderDash: [2, 2],
    })),
  );
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
          title: { display: true, text: 'rows / step, dashed' },
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
