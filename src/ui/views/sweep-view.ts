// Step time against total table rows, per algorithm: eager DP-SGD touches every row every step
// and grows with the tables; LazyDP touches only the rows a batch reads and stays flat. Short
// runs at log-spaced sizes; sizes the device cannot hold are skipped and said so.

import { LitElement, css, html, nothing } from 'lit';
import type { ChartDataset } from 'chart.js';
import { ALGOS } from '../../config/config';
import type { SharedSweepPoint, UiState } from '../../config/url';
import { UI_SCHEMA } from '../../config/url';
import { fmtMs, fmtRows } from '../format';
import type { ChartSpec } from '../charts/lab-chart';
import '../charts/lab-chart';
import { runner, sweepSizes } from '../state/runner';
import { ALGO_COLORS, ALGO_LABELS, sharedStyles, viewStyles } from '../styles';
import { store, StoreController, type SweepPoint } from '../state/store';
import { NOISY_RATIO, isNoisy, spreadText, whiskerPlugin } from '../charts/spread';

export function sweepSpec(
  points: SweepPoint[],
  sizes: number[],
  logTime = false,
  shared?: SharedSweepPoint[],
): ChartSpec {
  const datasets: ChartDataset<'line'>[] = ALGOS.map((a) => {
    const mine = points.filter((p) => p.algo === a && p.stepMs !== undefined);
    return {
      label: ALGO_LABELS[a],
      data: mine.map((p) => ({ x: p.totalRows, y: p.stepMs! })),
      // p10-p90 of each short run, drawn by the whisker plugin
      whiskers: mine.map((p) => p.spread ?? null),
      borderColor: ALGO_COLORS[a],
      backgroundColor: ALGO_COLORS[a],
      borderWidth: 2,
      pointRadius: 3,
    } as ChartDataset<'line'>;
  }).filter((d) => d.data.length > 0);
  // the sender's sweep from a shared link: dashed, beside the lines measured here
  for (const a of ALGOS) {
    const theirs = (shared ?? []).filter((p) => p.algo === a);
    if (!theirs.length) continue;
    datasets.push({
      label: `sender · ${ALGO_LABELS[a]}`,
      data: theirs.map((p) => ({ x: p.totalRows, y: p.stepMs })),
      whiskers: theirs.map((p) => p.spread ?? null),
      borderColor: ALGO_COLORS[a],
      backgroundColor: ALGO_COLORS[a] + '88',
      borderDash: [6, 4],
      borderWidth: 1.5,
      pointRadius: 2,
    } as ChartDataset<'line'>);
  }
  // a log time axis cannot hold 0 (a step below the timer's resolution): its floor is the smallest time seen
  const ys = datasets.flatMap((d) => (d.data as { y: number }[]).map((p) => p.y)).filter((y) => y > 0);
  // the axis fits the whiskers too, not only the medians: a p90 above it would be cut off
  const p90s = datasets.flatMap((d) =>
    ((d as { whiskers?: ({ p90: number } | null)[] }).whiskers ?? []).map((w) => w?.p90 ?? 0),
  );
  const top = Math.max(0, ...ys, ...p90s);
  return {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      scales: {
        x: {
          type: 'logarithmic',
          title: { display: true, text: 'total embedding rows (log scale)' },
          min: sizes.length ? sizes[0] / 1.25 : undefined,
          max: sizes.length ? sizes[sizes.length - 1] * 1.25 : undefined,
          // ticks at the measured sizes (chart.js would put them at 1-2-5 decades)
          afterBuildTicks: (axis) => {
            axis.ticks = sizes.map((value) => ({ value }));
          },
          ticks: { callback: (v) => fmtRows(+v) },
        },
        y: logTime
          ? {
              type: 'logarithmic',
              title: { display: true, text: 'median step (ms, log scale)' },
              min: ys.length ? Math.min(...ys) / 1.5 : undefined,
              suggestedMax: top > 0 ? top : undefined,
            }
          : {
              title: { display: true, text: 'median step (ms)' },
              beginAtZero: true,
              suggestedMax: top > 0 ? top : undefined,
            },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (ctx) =>
              `${ctx.dataset.label}: ${fmtMs(ctx.parsed.y as number)} at ${fmtRows(ctx.parsed.x as number)} rows`,
          },
        },
      },
    },
    plugins: [whiskerPlugin],
  };
}

type SweepKey = 'sweepFrom' | 'sweepTo' | 'sweepPoints' | 'sweepSteps';

export class SweepView extends LitElement {
  readonly storeCtl = new StoreController(this);
  static styles = [
    sharedStyles,
    viewStyles,
    css`
      label.inline input[type='number'] {
        width: 62px;
      }
    `,
  ];

  static properties = { logTime: { state: true } };
  /** the time axis on a log scale: eager DP-SGD's growth and LazyDP's flat line on one chart */
  declare logTime: boolean;

  constructor() {
    super();
    this.logTime = false;
  }

  render() {
    const ui = store.ui;
    const sizes = sweepSizes(ui.sweepFrom, ui.sweepTo, ui.sweepPoints);
    const theirs = store.shared?.results.sweep;
    const when = store.shared?.results.date?.replace('T', ' ').replace(/Z$/, ' UTC');
    const measured = [...new Set([...store.sweep, ...(theirs ?? [])].map((p) => p.totalRows))].sort((a, b) => a - b);
    const free = store.free;
    const skipped = store.sweep.filter((p) => p.skipped);
    const running = store.job === 'sweep';
    const noisy = store.sweep.filter((p) => isNoisy(p.spread));
    this.setAttribute('data-sweep', running ? 'running' : store.sweep.length ? 'done' : 'empty');
    return html`
      ${
        ui.text
          ? html`<p class="explain">
            Eager DP-SGD adds noise to <i>every</i> row of every table at every step, so its step time grows with the tables even though a
            batch reads only a few rows. LazyDP defers each row's noise until the row is read again and draws it in one go, so its step time
            stays flat as the tables grow. Each point is the median step of a short run (${ui.sweepSteps} steps) with the current model,
            batch and ${store.config.tables.length} table${store.config.tables.length > 1 ? 's' : ''} sharing the rows.
          </p>`
          : nothing
      }
      <div class="row">
        <button class="primary" id="run-sweep" ?disabled=${!free} @click=${() => runner.sweep()}>Run sweep</button>
        ${this.num('sweepFrom', 'from 2^', ui.sweepFrom)} ${this.num('sweepTo', 'to 2^', ui.sweepTo)} ${this.num('sweepPoints', 'sizes', ui.sweepPoints)}
        ${this.num('sweepSteps', 'steps each', ui.sweepSteps)}
        <span class="small muted">${sizes.map(fmtRows).join(' · ')} rows; ${sizes.length * ALGOS.length} short runs</span>
        <label class="inline"
          ><input
            type="checkbox"
            id="sweep-log"
            .checked=${this.logTime}
            @change=${(e: Event) => (this.logTime = (e.target as HTMLInputElement).checked)}
          />
          log time axis</label
        >
      </div>
      ${
        theirs?.length
          ? html`<p class="note info" data-sweep-shared>
            Dashed lines: the sender's sweep (${theirs.length} points) from the shared link, measured on
            ${store.shared!.results.device || 'an unnamed device'}${when ? ` on ${when}` : ''}.
          </p>`
          : nothing
      }
      ${
        noisy.length
          ? html`<p class="note" data-sweep-noisy>
            <b>Noisy timing</b> at ${noisy.map((p, i) => html`${i ? '; ' : ''}${ALGO_LABELS[p.algo]} ${fmtRows(p.totalRows)} rows`)}: p90 / p10 of
            the step time above ${NOISY_RATIO}. Run more steps per size, or measure again with less else running.
          </p>`
          : nothing
      }
      <lab-chart
        id="chart-sweep"
        heading="Step time vs table size"
        filename="table-size-sweep"
        data-log-time=${this.logTime ? 'on' : 'off'}
        .height=${320}
        .spec=${sweepSpec(store.sweep, measured.length ? measured : sizes, this.logTime, theirs)}
      >
        <span slot="empty">${running ? 'Measuring…' : 'Run the sweep to measure'}</span>
        <p slot="note" class="small muted">Each point: the median step of a short run; its whisker: the p10–p90 of its steps.</p>
        ${store.sweep.some((p) => p.stepMs !== undefined) ? this.table(measured) : nothing}
      </lab-chart>
      ${
        store.dataSource === 'criteo' && store.criteo
          ? html`<p class="note info" data-sweep-data>
            On the Criteo file ${store.criteo.name}: each size re-hashes the file's categories into ${store.config.tables.length} tables sharing the
            rows (the file is parsed again per size), so the step times reflect its real row popularity.
          </p>`
          : nothing
      }
      ${store.sweepData && store.sweep.length ? html`<p class="small muted" data-sweep-measured>Measured on ${store.sweepData}.</p>` : nothing}
      ${
        skipped.length
          ? html`<p class="note" data-sweep-skipped>
            Not measured: ${skipped.map((p, i) => html`${i ? '; ' : ''}${ALGO_LABELS[p.algo]} at ${fmtRows(p.totalRows)} rows (${p.skipped})`)}
          </p>`
          : nothing
      }
    `;
  }

  private table(sizes: number[]) {
    const at = (a: string, n: number) => store.sweep.find((p) => p.algo === a && p.totalRows === n);
    return html`<div class="scroll" tabindex="0" role="group" aria-label="Sweep table"><table class="num" id="sweep-table" style="margin-top:10px;width:100%">
      <tr>
        <th>rows</th>
        ${ALGOS.map((a) => html`<th><span class="swatch" style="background:${ALGO_COLORS[a]}"></span>${ALGO_LABELS[a]}</th>`)}
      </tr>
      ${sizes.map(
        (n) => html`<tr>
          <td>${fmtRows(n)}</td>
          ${ALGOS.map((a) => {
            const p = at(a, n);
            const spread = p?.spread ? ` (p10–p90 ${spreadText(p.spread, fmtMs)})` : '';
            return html`<td title=${p?.skipped ?? ''}>${p ? (p.skipped ? 'skipped' : `${fmtMs(p.stepMs)}${spread}`) : ''}</td>`;
          })}
        </tr>`,
      )}
    </table></div>`;
  }

  private num(key: SweepKey, label: string, v: number) {
    const spec = UI_SCHEMA[key];
    return html`<label class="inline"
      >${label}<input
        type="number"
        name=${key}
        min=${spec.min!}
        max=${spec.max!}
        .value=${String(v)}
        @change=${(e: Event) => this.set(key, (e.target as HTMLInputElement).value)}
    /></label>`;
  }

  private set(key: SweepKey, v: string) {
    const spec = UI_SCHEMA[key];
    const n = Math.round(+v);
    if (!Number.isFinite(n) || n < spec.min! || n > spec.max!) return this.requestUpdate();
    const next: Partial<UiState> = { [key]: n };
    if (key === 'sweepFrom' && n > store.ui.sweepTo) next.sweepTo = n;
    if (key === 'sweepTo' && n < store.ui.sweepFrom) next.sweepFrom = n;
    for (const [k, val] of Object.entries(next)) store.setUi(k as SweepKey, val as number);
  }
}
customElements.define('sweep-view', SweepView);
