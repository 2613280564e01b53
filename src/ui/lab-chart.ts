// One chart.js chart in a card, with a PNG download. Charts update in place (no animation) so
// that a chart fed on every log point stays cheap, and expose `data-points` for tests.

import { LitElement, css, html, type PropertyValues } from 'lit';
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
import { sharedStyles } from './styles';

Chart.register(BarController, BarElement, CategoryScale, Filler, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, ScatterController, Tooltip);
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
Chart.defaults.color = '#475569';
Chart.defaults.borderColor = '#e2e8f0';
Chart.defaults.animation = false;

// Canvas pixels are transparent by default; a PNG for slides wants a white background.
const whiteBackground: Plugin = {
  id: 'labWhiteBackground',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

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
    height: { type: Number },
  };
  declare spec: ChartSpec | undefined;
  declare heading: string;
  declare filename: string;
  declare height: number;
  private chart?: Chart;

  constructor() {
    super();
    this.heading = '';
    this.filename = 'chart';
    this.height = 260;
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
        gap: 8px;
        margin-bottom: 6px;
      }
      .box {
        position: relative;
        width: 100%;
      }
      .empty {
        position: absolute;
        inset: 0;
        display: grid;
        place-items: center;
        color: var(--muted);
        font-size: 13px;
        pointer-events: none;
      }
    `,
  ];

  get points(): number {
    return this.spec?.data.datasets.reduce((n, d) => n + (d.data?.length ?? 0), 0) ?? 0;
  }

  render() {
    return html`<div class="card">
      <div class="head">
        <h2>${this.heading}</h2>
        <button class="ghost small" title="Download this chart as PNG" @click=${this.png} ?disabled=${!this.points}>PNG ↓</button>
      </div>
      <slot name="note"></slot>
      <div class="box" style="height:${this.height}px">
        <canvas></canvas>
        ${this.points ? '' : html`<div class="empty"><slot name="empty">No data yet</slot></div>`}
      </div>
      <slot></slot>
    </div>`;
  }

  protected updated(changed: PropertyValues): void {
    if (!changed.has('spec')) return;
    const canvas = this.renderRoot.querySelector('canvas')!;
    const spec = this.spec;
    this.setAttribute('data-points', String(this.points));
    if (!spec) {
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
      this.chart = new Chart(canvas, { ...spec, options, plugins: [...(spec.plugins ?? []), whiteBackground] } as ChartConfiguration);
    }
  }

  connectedCallback(): void {
    super.connectedCallback();
    // re-attached after a disconnect destroyed the chart: draw it again
    if (this.hasUpdated && this.spec && !this.chart) this.requestUpdate('spec');
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.chart?.destroy();
    this.chart = undefined;
  }

  /** The chart as a PNG data URL (white background), or '' before it has data. */
  toPng(): string {
    return this.chart?.toBase64Image('image/png', 1) ?? '';
  }

  private png = async () => {
    const url = this.toPng();
    if (!url) return;
    const blob = await (await fetch(url)).blob();
    downloadBlob(`${this.filename}.png`, blob);
  };
}
customElements.define('lab-chart', LabChart);
