// One chart.js chart in a card, with PNG (2x, titled, with a footer) and CSV downloads, a data
// table for screen readers and a full-screen mode. Charts update in place (no animation, which
// also honours prefers-reduced-motion) so that a chart fed on every log point stays cheap, and
// expose `data-points` for tests. Colours follow prefers-color-scheme.

import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartConfiguration,
  type Plugin,
} from 'chart.js';
import { ALGO_LABELS, sharedStyles } from '../styles';
import { isPrivate, type Config } from '../../config/config';
import { store, type RunRecord } from '../state/store';
import { dragZoom } from './chart-zoom';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
);
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
Chart.defaults.animation = false;

const darkQuery = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : undefined;
/** Text, grid and background colours of the charts, light or dark with the page. */
export function chartTheme(): { text: string; grid: string; bg: string } {
  return darkQuery?.matches
    ? { text: '#cbd5e1', grid: '#334155', bg: '#111827' }
    : { text: '#475569', grid: '#e2e8f0', bg: '#ffffff' };
}
function applyTheme(): void {
  const t = chartTheme();
  Chart.defaults.color = t.text;
  Chart.defaults.borderColor = t.grid;
  for (const c of Object.values(Chart.instances)) {
    const scales = c.options.scales ?? {};
    for (const sc of Object.values(scales)) {
      if (!sc) continue;
      if (sc.grid) sc.grid.color = t.grid;
      if (sc.ticks) sc.ticks.color = t.text;
      const title = (sc as { title?: { color?: string } }).title;
      if (title) title.color = t.text;
    }
    const legend = c.options.plugins?.legend?.labels;
    if (legend) legend.color = t.text;
    c.update('none');
  }
}
applyTheme();
darkQuery?.addEventListener('change', applyTheme);

/** Presentation mode: every chart's text larger by `f` (the page scales the charts' height). */
export function setChartFontScale(f: number): void {
  Chart.defaults.font.size = Math.round(12 * f);
  for (const c of Object.values(Chart.instances)) c.update('none');
}

// Canvas pixels are transparent by default; a PNG for slides wants the page's background.
const background: Plugin = {
  id: 'labBackground',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = chartTheme().bg;
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

/** A chart's data as rows: one per category (bar charts) or one per point and series (x/y charts). */
export function chartTable(spec: ChartSpec | undefined): { columns: string[]; rows: (string | number)[][] } {
  if (!spec) return { columns: [], rows: [] };
  const sets = spec.data.datasets;
  const scales = (spec.options?.scales ?? {}) as Record<string, { title?: { text?: string | string[] } } | undefined>;
  const axis = (k: string, d: string) => {
    const t = scales[k]?.title?.text;
    return (Array.isArray(t) ? t.join(' ') : t) || d;
  };
  const yOf = (v: unknown): number | string =>
    typeof v === 'number' ? v : v && typeof v === 'object' && 'y' in v ? (v as { y: number }).y : '';
  const labels = spec.data.labels;
  // p10-p90 whiskers (spread.ts) are data too: two more columns
  type W = { whiskers?: ({ p10: number; p90: number } | null)[]; whiskerLabel?: string };
  const spreadOf = (d: unknown, i: number): (number | string)[] => {
    const w = (d as W).whiskers?.[i];
    return w ? [w.p10, w.p90] : ['', ''];
  };
  const whiskered = sets.filter((d) => (d as W).whiskers);
  if (labels && labels.length) {
    return {
      columns: [
        axis('x', ''),
        ...sets.map((d) => String(d.label ?? '')),
        ...whiskered.flatMap((d) => ['p10', 'p90'].map((q) => `${(d as W).whiskerLabel ?? d.label ?? ''} ${q}`)),
      ],
      rows: labels.map((l, i) => [
        Array.isArray(l) ? l.join(' ') : String(l),
        ...sets.map((d) => yOf(d.data[i])),
        ...whiskered.flatMap((d) => spreadOf(d, i)),
      ]),
    };
  }
  const rows: (string | number)[][] = [];
  for (const d of sets)
    (d.data as unknown[]).forEach((pt, i) => {
      if (pt && typeof pt === 'object' && 'x' in pt)
        rows.push([
          String(d.label ?? ''),
          (pt as { x: number }).x,
          yOf(pt),
          ...(whiskered.length ? spreadOf(d, i) : []),
        ]);
    });
  return { columns: ['series', axis('x', 'x'), axis('y', 'y'), ...(whiskered.length ? ['p10', 'p90'] : [])], rows };
}

/** Comma-separated values with quoting where a cell needs it (RFC 4180). */
export function toCsv(t: { columns: string[]; rows: (string | number)[][] }): string {
  const cell = (v: string | number) => {
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [t.columns, ...t.rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

/** What a chart exported on its own must say: the run's short configuration, the device and the date. */
export function chartFooter(conf?: string): string {
  const c = store.config;
  const d = store.device;
  const rows = c.tables.reduce((a, b) => a + b, 0);
  conf ??= `${ALGO_LABELS[c.algo]}, ${c.tables.length} table${c.tables.length > 1 ? 's' : ''} (${rows.toLocaleString('en-US')} rows), dim ${c.dim}, batch ${c.batch}, σ ${c.sigma}, C ${c.clip}, δ ${c.delta}, ${c.steps} steps`;
  const dev = d ? [d.vendor, d.architecture, d.description].filter(Boolean).join(' / ') : 'unknown device';
  return `${conf} · ${dev} · ${new Date().toISOString().slice(0, 10)}`;
}

/**
 * The charted runs in a few words, for a PNG's footer: their algorithms, and each setting with
 * its values across the runs (σ, C and δ of the private runs only: the baseline has none).
 */
export function runsFooter(runs: Pick<RunRecord, 'algo' | 'config' | 'stepsDone' | 'importedFrom'>[]): string {
  const vals = <T>(xs: T[]) => [...new Set(xs.map(String))].join('/');
  const priv = runs.filter((r) => isPrivate(r.config)).map((r) => r.config);
  const cs = runs.map((r) => r.config);
  const rows = (c: Config) => c.tables.reduce((a, b) => a + b, 0).toLocaleString('en-US');
  const parts = [
    vals(runs.map((r) => ALGO_LABELS[r.algo])).replaceAll('/', ', '),
    `${vals(cs.map((c) => c.tables.length))} tables (${vals(cs.map(rows))} rows)`,
    `dim ${vals(cs.map((c) => c.dim))}`,
    `batch ${vals(cs.map((c) => c.batch))}`,
    ...(priv.length
      ? [
          `σ ${vals(priv.map((c) => c.sigma))}`,
          `C ${vals(priv.map((c) => c.clip))}`,
          `δ ${vals(priv.map((c) => c.delta))}`,
        ]
      : []),
    `${vals(runs.map((r) => r.stepsDone))} steps`,
  ];
  const files = vals(runs.flatMap((r) => (r.importedFrom ? [r.importedFrom] : [])));
  return parts.join(', ') + (files ? ` (loaded: ${files.replaceAll('/', ', ')})` : '');
}

export type ChartSpec = ChartConfiguration;

export function downloadBlob(name: string, blob: Blob): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

export class LabChart extends LitElement {
  static properties = {
    spec: { attribute: false },
    heading: {},
    filename: {},
    footer: { attribute: false },
    height: { type: Number },
    zoomable: { type: Boolean },
    tableOpen: { state: true },
    full: { state: true },
  };
  declare spec: ChartSpec | undefined;
  declare heading: string;
  declare filename: string;
  /** the PNG footer's description of what is charted (default: the configuration panel's) */
  declare footer: string | undefined;
  declare height: number;
  /** dragging across the chart sends a `zoom` event with the x range (chart-zoom.ts) */
  declare zoomable: boolean;
  private unzoom?: () => void;
  /** the data table is built only while it is open: a long run has thousands of points */
  declare tableOpen: boolean;
  /** this chart is the one shown full screen */
  declare full: boolean;
  private chart?: Chart;

  constructor() {
    super();
    this.heading = '';
    this.filename = 'chart';
    this.height = 260;
    this.zoomable = false;
    this.tableOpen = false;
    this.full = false;
  }

  static styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      .head {
        display: flex;
        align-items: baseline;
        justify-content: space-between;
        flex-wrap: wrap;
        gap: 8px;
        margin-bottom: 6px;
      }
      .tools {
        display: flex;
        gap: 2px;
        align-items: baseline;
      }
      .box {
        position: relative;
        width: 100%;
        /* presentation mode scales every chart up */
        height: calc(var(--h) * var(--chart-scale, 1));
      }
      :host(:fullscreen) {
        background: var(--bg);
        padding: 16px;
        overflow: auto;
      }
      :host([zoomable]) .box {
        cursor: crosshair;
        touch-action: pan-y;
      }
      .band {
        position: absolute;
        background: color-mix(in srgb, var(--accent) 18%, transparent);
        border: 1px solid var(--accent);
        pointer-events: none;
      }
      :host(:fullscreen) .box {
        height: calc(100vh - 140px);
      }
      .empty {
        position: absolute;
        inset: 0;
        display: grid;
        place-items: center;
        color: var(--muted);
        font-size: 13px;
        pointer-events: none;
        text-align: center;
      }
      details {
        margin-top: 6px;
        font-size: 12px;
      }
      summary {
        cursor: pointer;
        color: var(--muted);
      }
      .datatable {
        max-height: 260px;
        overflow: auto;
        margin-top: 4px;
      }
    `,
  ];

  get points(): number {
    return this.spec?.data.datasets.reduce((n, d) => n + (d.data?.length ?? 0), 0) ?? 0;
  }

  render() {
    const has = this.points > 0;
    const id = this.id || this.filename;
    return html`<div class="card">
      <div class="head">
        <h2 id="title">${this.heading}</h2>
        <div class="tools">
          <button class="ghost small" title="Download this chart as PNG (2x, with its title, the charted runs' configuration, device and date)" @click=${this.png} ?disabled=${!has}>PNG ↓</button>
          <button class="ghost small csv" title="Download this chart's data as CSV" @click=${this.csv} ?disabled=${!has}>CSV ↓</button>
          <button class="ghost small full" aria-pressed=${this.full ? 'true' : 'false'} title=${this.full ? 'Leave full screen (Esc also leaves)' : 'Show this chart full screen (Esc leaves)'} @click=${this.fullscreen}>
            ${this.full ? '⤡ Leave full screen' : '⤢ Full screen'}
          </button>
        </div>
      </div>
      <slot name="note"></slot>
      <div class="box" style="--h:${this.height}px">
        <canvas role="img" aria-label=${`${this.heading}: chart${has ? ', its data is in the table below' : ', no data yet'}`} ?hidden=${!has}></canvas>
        ${has ? nothing : html`<div class="empty"><slot name="empty">No data yet</slot></div>`}
        <div class="band" hidden></div>
      </div>
      ${
        has
          ? html`<details @toggle=${(e: Event) => (this.tableOpen = (e.target as HTMLDetailsElement).open)}>
            <summary>Data table</summary>
            ${this.tableOpen ? this.dataTable(id) : nothing}
          </details>`
          : nothing
      }
      <slot></slot>
    </div>`;
  }

  private dataTable(id: string) {
    const t = chartTable(this.spec);
    const fmt = (v: string | number) => (typeof v === 'number' ? Number(v.toPrecision(6)).toString() : v);
    return html`<div class="datatable scroll" tabindex="0" role="group" aria-label=${`${this.heading} data`}>
      <table class="num" data-table-for=${id}>
        <caption class="small muted" style="text-align:left">${this.heading}</caption>
        <thead><tr>${t.columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
        <tbody>${t.rows.map((r) => html`<tr>${r.map((v) => html`<td>${fmt(v)}</td>`)}</tr>`)}</tbody>
      </table>
    </div>`;
  }

  protected updated(changed: PropertyValues): void {
    if (this.zoomable && !this.unzoom) {
      const box = this.renderRoot.querySelector<HTMLElement>('.box')!;
      this.unzoom = dragZoom(this, box, box.querySelector<HTMLElement>('.band')!, () => this.chart);
    }
    if (!changed.has('spec')) return;
    const canvas = this.renderRoot.querySelector('canvas')!;
    const spec = this.spec;
    this.setAttribute('data-points', String(this.points));
    // no data: no chart at all, rather than a made-up 0-1 axis behind the "no data" note
    if (!spec || this.points === 0) {
      this.chart?.destroy();
      this.chart = undefined;
      return;
    }
    const options = { responsive: true, maintainAspectRatio: false, ...(spec.options ?? {}) };
    if (this.chart && (this.chart.config as { type?: string }).type === spec.type) {
      this.chart.data = spec.data;
      this.chart.options = options as never;
      this.chart.update('none');
    } else {
      this.chart?.destroy();
      this.chart = new Chart(canvas, {
        ...spec,
        options,
        plugins: [...(spec.plugins ?? []), background],
      } as ChartConfiguration);
    }
    // which y scale is drawn (linear or logarithmic), for tests and for anyone inspecting the page
    this.setAttribute('data-y-scale', this.chart.scales.y?.type ?? '');
    // the value axes' ends as drawn, so tests can check that nothing plotted falls off them
    this.setAttribute('data-x-min', String(this.chart.scales.x?.min ?? ''));
    this.setAttribute('data-x-max', String(this.chart.scales.x?.max ?? ''));
    this.setAttribute('data-y-max', String(this.chart.scales.y?.max ?? ''));
  }

  connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('fullscreenchange', this.onFullscreenChange);
    // re-attached after a disconnect destroyed the chart: draw it again
    if (this.hasUpdated && this.spec && !this.chart) this.requestUpdate('spec');
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('fullscreenchange', this.onFullscreenChange);
    this.unzoom?.();
    this.unzoom = undefined;
    this.chart?.destroy();
    this.chart = undefined;
  }

  /**
   * The chart as a PNG data URL for slides and papers: drawn again at twice the screen's pixel
   * density (at least 2x), with its title above and a footer (configuration, device, date)
   * below; '' before it has data.
   */
  toPng(scale = Math.max(2, globalThis.devicePixelRatio || 1)): string {
    const chart = this.chart;
    if (!chart) return '';
    const before = chart.options.devicePixelRatio;
    chart.options.devicePixelRatio = scale;
    chart.resize();
    const img = chart.canvas;
    const theme = chartTheme();
    const pad = 12 * scale;
    const titleH = 28 * scale;
    const footH = 22 * scale;
    const out = document.createElement('canvas');
    out.width = img.width + 2 * pad;
    out.height = img.height + titleH + footH + 2 * pad;
    const ctx = out.getContext('2d')!;
    ctx.fillStyle = theme.bg;
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.fillStyle = theme.text;
    ctx.textBaseline = 'top';
    ctx.font = `600 ${16 * scale}px ${Chart.defaults.font.family}`;
    ctx.fillText(this.heading, pad, pad);
    ctx.drawImage(img, pad, pad + titleH);
    ctx.font = `${10 * scale}px ${Chart.defaults.font.family}`;
    ctx.fillText(chartFooter(this.footer), pad, pad + titleH + img.height + 6 * scale, out.width - 2 * pad);
    chart.options.devicePixelRatio = before;
    chart.resize();
    return out.toDataURL('image/png');
  }

  private png = async () => {
    const url = this.toPng();
    if (!url) return;
    const blob = await (await fetch(url)).blob();
    downloadBlob(`${this.filename}.png`, blob);
  };

  /** The chart's data as CSV (the same rows as the data table). */
  toCsv(): string {
    return this.points ? toCsv(chartTable(this.spec)) : '';
  }

  private csv = () => {
    const text = this.toCsv();
    if (text) downloadBlob(`${this.filename}.csv`, new Blob([text], { type: 'text/csv' }));
  };

  /**
   * The chart's own root says whether it is full screen: inside shadow roots,
   * document.fullscreenElement is the outermost host (the whole lab), never this chart.
   */
  private isFull(): boolean {
    return (this.getRootNode() as Document | ShadowRoot).fullscreenElement === this;
  }

  private fullscreen = () => {
    if (this.isFull()) void document.exitFullscreen();
    else void this.requestFullscreen?.().catch(() => undefined);
  };

  private onFullscreenChange = () => {
    this.full = this.isFull();
    this.toggleAttribute('data-full', this.full);
  };
}
customElements.define('lab-chart', LabChart);
