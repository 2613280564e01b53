// Training curves: loss, held-out AUC and epsilon against step, for every algorithm run on the
// current configuration, so a private run is read against the non-private baseline.

import { LitElement, html, nothing } from 'lit';
import type { ChartDataset } from 'chart.js';
import { ALGOS, CONFIG_KEYS, isPrivate, type Config } from '../../config/config';
import { BASELINE } from '../../algorithms';
import { epsilonQualifier } from '../../privacy/report';
import type { LogPoint } from '../../engine';
import { epsilonStep } from '../../engine';
import { atSteps, epsilonAt, overlayDashes, overlayLabels, unfinished } from '../charts/compare';
import { fmtNum } from '../format';
import { runsFooter, type ChartSpec } from '../charts/lab-chart';
import type { ZoomDetail } from '../charts/chart-zoom';
import '../charts/lab-chart';
import { runner } from '../state/runner';
import { ALGO_COLORS, ALGO_LABELS, ALL_ALGOS, sharedStyles, viewStyles } from '../styles';
import { signature, store, StoreController, type RunRecord } from '../state/store';
import { claimNote, loadImported, parseResultsJson, recomputedEpsilon } from '../state/results-import';
import { importedLine, intro, refLines, runsCard } from './train-runs';
import { cleanText } from '../../config/url-text';
import { epsilonPanel, posterior } from './epsilon-panel';

export { posterior };

/** Exponential moving average (TensorBoard-style smoothing) of a noisy per-batch series. */
export function ema(ys: { x: number; y: number }[], weight: number): { x: number; y: number }[] {
  let m = 0;
  let debias = 0; // divides out the zero start, so early points are not pulled toward 0
  return ys.map(({ x, y }) => {
    m = weight * m + (1 - weight) * y;
    debias = weight * debias + (1 - weight);
    return { x, y: m / debias };
  });
}

function lineSpec(
  runs: RunRecord[],
  y: (p: LogPoint) => number | undefined,
  yTitle: string,
  extra: ChartDataset<'line'>[] = [],
  yMin?: number,
  smooth = 0,
  yRange: { suggestedMin?: number; suggestedMax?: number } = {},
  note: (r: RunRecord) => string = () => '',
  overlays: Map<RunRecord, string> = new Map(),
  computedAt?: (r: RunRecord, p: LogPoint) => number,
): ChartSpec {
  const datasets: ChartDataset<'line'>[] = [];
  const dashes = overlayDashes([...overlays.keys()]);
  for (const r of [...runs, ...overlays.keys()]) {
    const data = atSteps(
      r.log
        .filter((p) => y(p) !== undefined && Number.isFinite(y(p)!))
        .map((p) => ({ x: computedAt ? computedAt(r, p) : p.step, y: y(p)! })),
    );
    const other = overlays.get(r);
    const label = `${ALGO_LABELS[r.algo]}${other ? ` (${other})` : ''}${r.source === 'compare' && r.target < r.config.steps ? ` (${r.target} steps)` : ''}${note(r)}`;
    // sparse series (AUC is evaluated every evalEvery steps) need visible points: one sample has no line
    const line = {
      borderColor: ALGO_COLORS[r.algo],
      backgroundColor: ALGO_COLORS[r.algo],
      pointRadius: data.length <= 20 || computedAt ? 3 : 0,
      pointHoverRadius: 4,
      // values known only at their points are joined by straight lines, not a curve that suggests more
      tension: computedAt ? 0 : 0.2,
      // an earlier run: dashed in its algorithm's colour, each of one algorithm with its own dash
      ...(other ? { borderDash: dashes.get(r) } : {}),
    };
    if (smooth > 0 && data.length > 4) {
      // raw batches faint behind, the smoothed trend on top: per-batch loss is noisy
      datasets.push({ ...line, label, data: ema(data, smooth), borderWidth: 2 });
      datasets.push({
        ...line,
        label: `${label} (raw)`,
        data,
        borderWidth: 1,
        borderColor: ALGO_COLORS[r.algo] + '40',
      });
    } else datasets.push({ ...line, label, data, borderWidth: 2 });
  }
  return {
    type: 'line',
    data: { datasets: [...datasets.filter((d) => d.data.length > 0), ...extra] },
    options: {
      parsing: false,
      // hovering reads every curve at the step under the pointer, each value with its own step
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { type: 'linear', title: { display: true, text: 'step' }, min: 0 },
        y: { title: { display: true, text: yTitle }, ...yRange, ...(yMin !== undefined ? { min: yMin } : {}) },
      },
      plugins: {
        tooltip: {
          callbacks: {
            title: (items) => (items.length ? `step ${items[0].parsed.x}` : ''),
            label: (ctx) =>
              `${ctx.dataset.label}: ${fmtNum(ctx.parsed.y as number, 4)}${ctx.parsed.x !== ctx.chart.tooltip?.dataPoints?.[0]?.parsed.x ? ` (step ${ctx.parsed.x})` : ''}`,
          },
        },
        legend: {
          position: 'bottom',
          // a line sample per entry, dashed as its curve: overlaid runs of one algorithm share a colour
          labels: {
            usePointStyle: true,
            pointStyle: 'line',
            pointStyleWidth: 26,
            filter: (item) => !item.text.endsWith('(raw)'),
          },
        },
      },
    },
  };
}

const SHORT: Partial<Record<keyof Config, string>> = { sigma: 'σ', clip: 'C', delta: 'δ', targetEpsilon: 'target ε' };
/** Settings that only a private run uses: a non-private run (the SGD baseline) is not labelled by them. */
const PRIVATE_ONLY = new Set<keyof Config>([
  'sigma',
  'clip',
  'clipping',
  'delta',
  'accountant',
  'targetEpsilon',
  'noiseKernel',
]);

/**
 * What sets configuration `c` apart from `ref`, in a few words ('σ 0.5', 'batch 64, lr 0.1'):
 * the label of an earlier run beside the current one. Algorithm and seed are left out (the
 * algorithm has its own colour; a random seed differs every run).
 */
export function configDiff(c: Config, ref: Config, most = 3): string {
  const diffs: string[] = [];
  for (const k of CONFIG_KEYS) {
    if (k === 'algo' || k === 'seed' || (PRIVATE_ONLY.has(k) && !isPrivate(c))) continue;
    const a = c[k];
    const b = ref[k];
    if (Array.isArray(a) && Array.isArray(b) ? a.join(',') === b.join(',') : a === b) continue;
    diffs.push(`${SHORT[k] ?? k} ${Array.isArray(a) ? a.join(',') : String(a)}`);
  }
  if (!diffs.length) return 'same configuration';
  return diffs.length > most ? `${diffs.slice(0, most).join(', ')}, +${diffs.length - most} more` : diffs.join(', ');
}

/** A private run whose epsilon is infinite (sigma 0 or too small): no privacy, said so in the chart. */
const noPrivacy = (r: RunRecord): boolean => isPrivate(r.config) && r.log.at(-1)?.epsilon === Infinity;

/**
 * What the epsilon chart says beside a run's name: no privacy; and for an imported run, why its
 * epsilon is no guarantee and what its file claims that the lab's accountant does not confirm.
 */
function epsNote(r: RunRecord): string {
  const notes = noPrivacy(r) ? ['ε = ∞, no privacy'] : [];
  if (r.source === 'imported') {
    const q = epsilonQualifier(r.config, r.seedFixed, recomputedEpsilon(r));
    if (q && !noPrivacy(r)) notes.push(q);
    const claim = claimNote(r);
    if (claim) notes.push(claim);
  }
  return notes.map((n) => ` (${n})`).join('');
}

export class TrainView extends LitElement {
  readonly storeCtl = new StoreController(this);
  static styles = [sharedStyles, viewStyles];

  /** Latest run per algorithm on this configuration, plus the current one. */
  private runs(): RunRecord[] {
    const m = store.latestByAlgo((r) => r.log.length > 0);
    const cur = store.current;
    // a finished main run on another configuration moves to the earlier runs (a running or paused one stays)
    if (cur && cur.log.length > 0 && (store.status !== 'done' || signature(cur.requested) === signature(store.config)))
      m.set(cur.algo, cur);
    return ALGOS.filter((a) => m.has(a)).map((a) => m.get(a)!);
  }

  /** Runs with curves that are not on the current configuration (or not the latest of their algorithm). */
  private earlier(current: RunRecord[]): RunRecord[] {
    return store.runs.filter((r) => r.log.length > 0 && !current.includes(r)).reverse();
  }

  render() {
    const runs = this.runs();
    const earlier = this.earlier(runs);
    const overlays = overlayLabels(
      earlier.filter((r) => store.overlay.has(r.id)),
      (r) => this.runLabel(r),
    );
    const teacher = runs.map((r) => r.summary?.teacherAuc).find((x) => x !== undefined && x > 0);
    const priv = runs.filter((r) => isPrivate(r.config));
    // a PNG's footer describes the runs on its chart, not the configuration panel
    const charted = [...runs, ...overlays.keys()];
    const footer = charted.length ? runsFooter(charted) : undefined;
    const text = store.ui.text;
    return html`
      ${text ? intro() : nothing}
      ${this.actions(runs)}
      <div class="grid2">
        ${this.lossChart(runs, overlays, footer)}
        <lab-chart id="chart-auc" heading="Held-out AUC" filename="auc" zoomable @zoom=${this.onZoom} .footer=${footer} .spec=${this.zoomed(lineSpec(runs, (p) => p.auc, 'AUC', refLines(runs, teacher), undefined, 0, { suggestedMin: 0.4, suggestedMax: 1 }, undefined, overlays))}>
          <span slot="empty">AUC appears at each evaluation (every ${store.config.evalEvery || 'run end'} steps)</span>
        </lab-chart>
        ${this.epsChart(priv, overlays)}
        ${runsCard(runs, teacher)}
      </div>
      ${this.runList(earlier)}
      ${text ? epsilonPanel() : nothing}
    `;
  }

  /** The baseline and "train all" buttons, and the zoom on the step axis. */
  private actions(runs: RunRecord[]) {
    const free = store.free;
    const hasBaseline = runs.some((r) => r.algo === BASELINE);
    return html`<div class="row">
      <button id="baseline" ?disabled=${!free || hasBaseline} @click=${() => runner.compare([BASELINE], store.config.steps)} title="Train ${ALGO_LABELS[BASELINE]} on the same configuration">
        Train non-private baseline
      </button>
      <button id="train-all" ?disabled=${!free} @click=${() => runner.compare(ALGOS, store.config.steps)} title="Train all ${ALL_ALGOS} algorithms to the end, one after the other">
        Train all ${ALL_ALGOS}
      </button>
      ${runs.length === 0 ? html`<span class="muted small">Press Train to start; runs appear here as they log.</span>` : nothing}
      ${this.zoomControls()}
    </div>`;
  }

  /** Training loss, smoothed as the slider under it says. */
  private lossChart(runs: RunRecord[], overlays: Map<RunRecord, string>, footer: string | undefined) {
    return html`<lab-chart id="chart-loss" heading="Training loss" filename="loss" zoomable @zoom=${this.onZoom} .footer=${footer} .spec=${this.zoomed(lineSpec(runs, (p) => p.loss, 'BCE loss', [], undefined, this.smoothing, {}, undefined, overlays))}>
      <p slot="note" class="small muted">
        <label
          >smoothing
          <input
            type="range"
            id="smoothing"
            min="0"
            max="0.99"
            step="0.01"
            .value=${String(this.smoothing)}
            @input=${(e: Event) => (this.smoothing = Number((e.target as HTMLInputElement).value))}
          />
          <output for="smoothing">${this.smoothing.toFixed(2)}</output></label
        >
        ${this.smoothing > 0 ? " (moving average, as TensorBoard's); each batch's raw loss faint behind" : " off: each batch's raw loss"}
      </p>
    </lab-chart>`;
  }

  /** ε against step for the private runs (and the private overlays). */
  private epsChart(priv: RunRecord[], overlays: Map<RunRecord, string>) {
    const privOverlays = new Map([...overlays].filter(([r]) => isPrivate(r.config)));
    const charted = [...priv, ...privOverlays.keys()];
    const footer = charted.length ? runsFooter(charted) : undefined;
    const gridded = charted.some((r) => epsilonStep(r.config, 1) !== 1);
    return html`<lab-chart id="chart-eps" heading="Privacy spent (ε)" filename="epsilon" zoomable @zoom=${this.onZoom} .footer=${footer} .spec=${this.zoomed(
      lineSpec(
        priv,
        (p) => p.epsilon,
        `ε at δ = ${store.config.delta}`,
        [],
        0,
        0,
        {},
        epsNote,
        privOverlays,
        epsilonAt,
      ),
    )}>
      <span slot="empty"
        >${
          store.config.algo === BASELINE && priv.length === 0
            ? 'SGD is not private (ε = ∞); train a private algorithm'
            : priv.some(noPrivacy)
              ? `ε = ∞, no privacy: ${priv
                  .filter(noPrivacy)
                  .map((r) => ALGO_LABELS[r.algo])
                  .join(', ')} added no effective noise`
              : 'No private run yet'
        }</span
      >
      ${gridded ? html`<p slot="note" class="small muted" data-eps-points>Dots: where ε was computed (the PRV accountant, at 24 points of a run), joined by straight lines.</p>` : nothing}
      ${
        priv.some(noPrivacy)
          ? html`<p class="warn small" data-no-privacy>ε = ∞ (no privacy) for ${priv
              .filter(noPrivacy)
              .map((r) => ALGO_LABELS[r.algo])
              .join(', ')}: σ too small for a finite ε</p>`
          : nothing
      }
    </lab-chart>`;
  }

  static properties = {
    importError: { state: true },
    smoothing: { state: true },
    zoom: { state: true },
    zoomError: { state: true },
  };
  /** the steps the training charts show, from and to (undefined: every step) */
  declare zoom: [number, number] | undefined;
  declare zoomError: string;

  /** A chart's spec with the step axis cut to the zoom (the y axes fit the steps shown). */
  private zoomed(spec: ChartSpec): ChartSpec {
    const x = spec.options?.scales?.x;
    if (this.zoom && x) Object.assign(x, { min: this.zoom[0], max: this.zoom[1] });
    return spec;
  }

  /** A drag across one of the training charts: its steps, whole, become the zoom of all three. */
  private onZoom = (e: CustomEvent<ZoomDetail>) => {
    const from = Math.max(0, Math.floor(e.detail.from));
    this.zoom = [from, Math.max(from + 1, Math.ceil(e.detail.to))];
    this.zoomError = '';
  };

  /**
   * Zoom on the step axis of the three training charts, and back: a drag across a chart, or
   * (by keyboard) the two step fields; Reset shows every step.
   */
  private zoomControls() {
    const set = () => {
      const v = (id: string) => Number(this.renderRoot.querySelector<HTMLInputElement>(id)?.value);
      const [a, b] = [v('#zoom-from'), v('#zoom-to')];
      const ok = Number.isFinite(a) && Number.isFinite(b) && b > a && a >= 0;
      this.zoom = ok ? [a, b] : undefined;
      this.zoomError = ok ? '' : 'zoom: enter a “to” step above the “from” step (from 0 up)';
    };
    return html`<span class="small" role="group" aria-label="Zoom on steps" title="Drag across a chart to zoom on its steps, or type them here"
      >zoom: drag across a chart, or steps <input type="number" id="zoom-from" min="0" style="width:70px" aria-label="from step" .value=${String(this.zoom?.[0] ?? '')} @change=${set} />
      – <input type="number" id="zoom-to" min="1" style="width:70px" aria-label="to step" .value=${String(this.zoom?.[1] ?? '')} @change=${set} />
      <button id="zoom-reset" class="ghost small" ?disabled=${!this.zoom} @click=${() => (this.zoom = undefined)}>Reset zoom</button>
      ${this.zoomError ? html`<span class="err" data-zoom-error role="alert">${this.zoomError}</span>` : nothing}</span
    >`;
  }
  /** the loss chart's smoothing weight (0: raw), TensorBoard's control; not part of the link */
  declare smoothing: number;

  constructor() {
    super();
    this.smoothing = 0.6;
    this.zoomError = '';
  }
  /** why the last results file could not be loaded */
  declare importError: string;

  /** what differs from the current configuration, and the file for a colleague's run */
  private runLabel(r: RunRecord): string {
    const diff = configDiff(r.requested, store.config);
    return r.importedFrom ? `imported from ${r.importedFrom}: ${diff}` : diff;
  }

  private async loadResults(e: Event) {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    try {
      const runs = parseResultsJson(await file.text());
      this.importError = '';
      void loadImported(file.name, runs);
    } catch (err) {
      // the name and the message may echo the file: shown without controls or bidi overrides
      this.importError = cleanText(`Could not load ${file.name}: ${(err as Error).message}`, 400);
    }
    input.value = ''; // the same file can be chosen again
  }

  /** Earlier runs, each labelled by what differs from the current configuration; ticked ones are overlaid (dashed). */
  private runList(earlier: RunRecord[]) {
    const dashes = overlayDashes(earlier.filter((r) => store.overlay.has(r.id)));
    return html`<div class="card" id="run-list">
      <div class="row" style="justify-content:space-between">
        <h2>Earlier runs</h2>
        <button
          id="load-results-button"
          title="Add a colleague's “Download JSON” file to this list"
          @click=${() => this.renderRoot.querySelector<HTMLInputElement>('#load-results')?.click()}
        >
          Load results JSON…
        </button>
        <input type="file" id="load-results" hidden accept=".json,application/json" aria-label="results JSON file" @change=${(e: Event) => this.loadResults(e)} />
      </div>
      ${this.importError ? html`<p class="warn small" data-import-error role="alert">${this.importError}</p>` : nothing}
      <p class="small muted">
        Kept with their configuration, labelled by what differs from the current one; a colleague's "Download JSON" file adds theirs. Tick to
        overlay a run (dashed) on the curves.
      </p>
      <ul style="list-style:none;padding:0;margin:0">
        ${earlier.map((r) => {
          const diff = this.runLabel(r);
          const dash = dashes.get(r);
          return html`<li data-run=${r.id} data-algo=${r.algo} data-imported=${r.importedFrom ? '1' : '0'}>
            <label
              ><input type="checkbox" data-overlay=${r.id} .checked=${store.overlay.has(r.id)} @change=${(e: Event) => store.toggleOverlay(r.id, (e.target as HTMLInputElement).checked)} />
              ${
                dash
                  ? html`<svg width="26" height="10" aria-hidden="true" data-dash=${dash.join(' ')}><line x1="0" y1="5" x2="26" y2="5" stroke=${ALGO_COLORS[r.algo]} stroke-width="2" stroke-dasharray=${dash.join(' ')} /></svg>`
                  : html`<span class="swatch" style="background:${ALGO_COLORS[r.algo]}"></span>`
              }${ALGO_LABELS[r.algo]} · <b data-diff>${diff}</b>
              <span class="small muted" data-progress>${r.stepsDone} steps, loss ${fmtNum(r.log.at(-1)?.loss, 4)}${unfinished(r) ? ' (unfinished)' : ''}</span></label
            >
            ${r.source === 'imported' ? importedLine(r) : nothing}
          </li>`;
        })}
      </ul>
    </div>`;
  }
}

customElements.define('train-view', TrainView);
