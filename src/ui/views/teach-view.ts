// Teaching view: 64 rows of one embedding table, one step at a time. Eager DP-SGD writes noise
// into every row at every step; LazyDP lets a row's noise pile up (step − H[r], read back from
// the engine's own history buffer) and pays it in one draw just before the row is read again.

import { LitElement, css, html, nothing, unsafeCSS } from 'lit';
import type { ChartSpec } from '../charts/lab-chart';
import '../charts/lab-chart';
import type { Config } from '../../config/config';
import type { FestStep, Trainer } from '../../engine';
import { fmtRows } from '../format';
import { runner } from '../state/runner';
import { stagesCard } from './stages-view';
import { sharedStyles, viewStyles } from '../styles';
import { FEATURED, algorithmOf } from '../../algorithms';
import { aggregationSpec, EAGER_COLOR, LAZY_COLOR } from './teaching-noise';
import { festCard, festStyles, isFest } from './teaching-fest';
import { store, StoreController, signature } from '../state/store';

/** The teaching run belongs to this configuration on this data (synthetic or a Criteo file). */
function teachSig(): string {
  return `${signature(store.config)}|${store.dataId}`;
}

const SLICE = 64;

/**
 * What the view shows of the teaching run. The trainer itself belongs to the runner (which
 * forgets it when the device is lost); this lives outside the element so switching views does
 * not throw the run away, and is valid only while it names the runner's current trainer.
 */
interface TeachState {
  trainer: Trainer;
  table: number;
  start: number;
  history: Uint32Array;
  /** rows of the slice that received their pending noise in the last step */
  caughtUp: number;
  lazyWrites: number;
  flushed: boolean;
  /** DP-FEST, DP-AdaFEST: what the last step did to the slice's rows */
  fest?: FestStep;
}
let slice: TeachState | undefined;

/** What the trainer's last step did to the state's slice (DP-FEST, DP-AdaFEST; else undefined). */
function festOf(t: TeachState, count: number): FestStep | undefined {
  const tr = t.trainer;
  return tr.extras.festStep(tr.stepsDone, (s) => tr.batchIndices(s), t.table, t.start, count);
}

/** The view's state of the runner's teaching trainer for this configuration, if there is one. */
function current(): TeachState | undefined {
  const t = runner.teachTrainer(teachSig());
  return slice && slice.trainer === t ? slice : undefined;
}

const darkQuery = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : undefined;

/** A tile's colour for k pending steps: light amber to deep orange, or on a dark page dark to bright. */
function pendingColor(k: number, dark = darkQuery?.matches ?? false): string {
  if (k <= 0) return dark ? '#10231a' : '#f0fdf4';
  // over ~0..32 pending steps
  const t = Math.min(1, Math.log2(1 + k) / 5);
  const l = dark ? 18 + 30 * t : 92 - 50 * t;
  return `hsl(${32 - 14 * t} 90% ${l}%)`;
}

/** What LazyDP does, above the two grids. */
function lazyExplain() {
  return html`<p class="explain">
            A step of DP-SGD adds fresh Gaussian noise to every parameter, including every row of every embedding table, although the batch
            reads only a few rows. <b>LazyDP</b> keeps, per row, the last step whose noise the row has received (<code>H[r]</code>). Looking
            one batch ahead, it adds a row's pending noise just before the row is read again, and at the end (a <i>flush</i>) before the model
            leaves the lab. Every value the model reads has the same distribution as under eager DP-SGD, so the privacy guarantee is the same.
          </p>`;
}

/** What DP-FEST and DP-AdaFEST do, above their grid. */
function festExplain() {
  return html`<p class="explain">
    DP-FEST and DP-AdaFEST keep the update sparse instead. <b>DP-AdaFEST</b> counts, each step, how many examples of the batch read
    each row (each example's counts clipped to C1), adds Gaussian noise to every row's count, and writes only the rows whose noisy
    count exceeds a threshold τ: their clipped gradient sum plus noise. A row the batch read may miss the threshold (its gradient is
    dropped); a row nobody read may cross it by its noise alone (it gets noise only). <b>DP-FEST</b> chooses its rows once, before
    training, and trains and noises only those.
  </p>`;
}

/**
 * A control of the view. An unavailable one is aria-disabled, not disabled: a disabled button
 * drops the focus to the page body (Step while Play runs, Play while a step runs), so a keyboard
 * user would need Tabs after every press; this one keeps the focus and ignores presses.
 */
function button(id: string, off: boolean, act: () => unknown, label: string, title: string, cls = '') {
  const press = () => {
    if (!off) void act();
  };
  return html`<button id=${id} class=${cls} aria-disabled=${off ? 'true' : 'false'} title=${title} @click=${press}>${label}</button>`;
}

export class TeachView extends LitElement {
  static properties = { k: { state: true }, playing: { state: true } };
  declare k: number;
  declare playing: boolean;
  readonly storeCtl = new StoreController(this);
  private aggMemo?: { k: number; spec: ChartSpec };

  constructor() {
    super();
    this.k = 8;
    this.playing = false;
  }

  static styles = [
    sharedStyles,
    viewStyles,
    festStyles,
    css`
      .panels {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(300px, 100%), 1fr));
        gap: 14px;
      }
      .grid {
        display: grid;
        grid-template-columns: repeat(8, 1fr);
        gap: 3px;
        max-width: 380px;
        margin: 8px 0;
      }
      .cell {
        aspect-ratio: 1;
        border-radius: 4px;
        display: grid;
        place-items: center;
        font-size: 12px;
        font-variant-numeric: tabular-nums;
        color: #7c2d12;
        border: 1px solid #e2e8f0;
        transition: background 0.2s;
      }
      .cell.written {
        background: #fee2e2;
        border-color: #fca5a5;
        color: #991b1b;
      }
      .cell.fresh {
        outline: 2px solid ${unsafeCSS(LAZY_COLOR)};
        outline-offset: -2px;
      }
      .cell.outside {
        background: repeating-linear-gradient(45deg, #f8fafc, #f8fafc 4px, #f1f5f9 4px, #f1f5f9 8px);
        color: transparent;
      }
      .legend {
        display: flex;
        gap: 10px;
        align-items: center;
        font-size: 11px;
        color: var(--muted);
        flex-wrap: wrap;
      }
      .ramp {
        width: 120px;
        height: 10px;
        border-radius: 3px;
        background: linear-gradient(90deg, ${unsafeCSS([0, 2, 8, 32].map((k) => pendingColor(k, false)).join(', '))});
        border: 1px solid #e2e8f0;
      }
      /* the tiles on a dark page: no light tiles glaring out of it */
      @media (prefers-color-scheme: dark) {
        .cell {
          color: #fed7aa;
          border-color: var(--line);
        }
        .cell.written {
          background: #450a0a;
          border-color: #991b1b;
          color: #fecaca;
        }
        .cell.outside {
          background: repeating-linear-gradient(45deg, #111827, #111827 4px, #1e293b 4px, #1e293b 8px);
        }
        .ramp {
          background: linear-gradient(90deg, ${unsafeCSS([0, 2, 8, 32].map((k) => pendingColor(k, true)).join(', '))});
          border-color: var(--line);
        }
      }
      button[aria-disabled='true'] {
        opacity: 0.45;
        cursor: default;
      }
      .big {
        font-size: 22px;
        font-weight: 650;
        font-variant-numeric: tabular-nums;
      }
      label.inline input {
        width: 90px;
      }
    `,
  ];

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.playing = false;
  }

  private get valid(): boolean {
    const t = current();
    return !!t && t.table === store.ui.teachTable && t.start === this.start;
  }

  private get start(): number {
    const rows = store.config.tables[Math.min(store.ui.teachTable, store.config.tables.length - 1)];
    return Math.max(0, Math.min(store.ui.teachStart, rows - 1));
  }

  private async ensure(): Promise<TeachState> {
    const have = current();
    if (have) {
      if (have.table !== store.ui.teachTable || have.start !== this.start) {
        have.table = Math.min(store.ui.teachTable, store.config.tables.length - 1);
        have.start = this.start;
        have.history = await have.trainer.readHistory(have.table, have.start, this.count(have.table));
        have.caughtUp = 0;
        have.fest = festOf(have, this.count(have.table));
      }
      return have;
    }
    // none on this device for this configuration: a fresh run (never one whose device is gone)
    // the panel's algorithm where it keeps a history (an exact mode stays exact), else the featured lazy one
    // (DP-FEST and DP-AdaFEST as chosen: the view shows their rows instead)
    const keep = isFest(store.config.algo) || algorithmOf(store.config).buffers(store.config).history;
    const algo = keep ? store.config.algo : FEATURED;
    const config: Config = { ...store.config, algo, tableOptimizer: 'sgd', weightDecay: 0, evalEvery: 0 };
    const trainer = await runner.ensureTeachTrainer(teachSig(), config);
    const table = Math.min(store.ui.teachTable, store.config.tables.length - 1);
    slice = {
      trainer,
      table,
      start: this.start,
      history: new Uint32Array(this.count(table)),
      caughtUp: 0,
      lazyWrites: 0,
      flushed: false,
    };
    return slice;
  }

  private count(table: number): number {
    return Math.max(0, Math.min(SLICE, store.config.tables[table] - this.start));
  }

  private step = async () => {
    await runner.teach(async () => {
      const t = await this.ensure();
      if (t.trainer.stepsDone >= t.trainer.config.steps) {
        this.playing = false;
        return;
      }
      await t.trainer.run(1, { logEvery: 1 });
      await this.refresh(t, false);
    });
    this.requestUpdate();
  };

  /** Re-reads the slice's history; rows whose H changed were just written with their noise. */
  private async refresh(t: TeachState, flushed: boolean): Promise<void> {
    const h = await t.trainer.readHistory(t.table, t.start, this.count(t.table));
    let caught = 0;
    for (let i = 0; i < h.length; i++) if (h[i] !== t.history[i]) caught++;
    t.history = h;
    t.caughtUp = caught;
    t.lazyWrites += caught;
    t.flushed = flushed;
    t.fest = festOf(t, this.count(t.table));
  }

  private play = async () => {
    if (this.playing) {
      this.playing = false;
      return;
    }
    this.playing = true;
    while (this.playing && this.isConnected) {
      await this.step();
      if (!current() || store.deviceState !== 'ready') break;
      // a pace a class can follow; the work itself is one GPU step
      await new Promise((r) => setTimeout(r, 350));
    }
    this.playing = false;
  };

  private flush = async () => {
    await runner.teach(async () => {
      const t = await this.ensure();
      await t.trainer.evaluate(); // flushes every pending row first, as before any release
      await this.refresh(t, true);
    });
    this.requestUpdate();
  };

  private restart = () => {
    this.playing = false;
    runner.dropTeachTrainer();
    slice = undefined;
    this.requestUpdate();
  };

  render() {
    const c = store.config;
    const text = store.ui.text;
    const live = this.valid ? current() : undefined;
    const step = live?.trainer.stepsDone ?? 0;
    const n = Math.min(SLICE, c.tables[Math.min(store.ui.teachTable, c.tables.length - 1)] - this.start);
    this.setAttribute('data-step', String(step));
    // DP-FEST and DP-AdaFEST: which rows a step touched and which it wrote, instead of LazyDP's pending noise
    const fest = isFest(live?.trainer.config.algo ?? c.algo);
    const t = live?.trainer;
    return html`
      ${text ? (fest ? festExplain() : lazyExplain()) : nothing}
      ${this.controls(live, step, n, fest)}
      ${
        fest
          ? festCard({
              algo: t?.config.algo ?? c.algo,
              config: t?.config ?? c,
              sigma: t?.sigma ?? c.sigma,
              seedFixed: t?.seedFixed ?? false,
              step,
              fest: live?.fest,
              slice: SLICE,
            })
          : this.lazyPanels(live, step, n)
      }
      ${this.aggCard(text)}
      ${text ? stagesCard() : nothing}
    `;
  }

  /** Step, Play, Flush, Restart, and which slice of which table the view shows. */
  private controls(live: TeachState | undefined, step: number, n: number, fest: boolean) {
    const c = store.config;
    const table = Math.min(store.ui.teachTable, c.tables.length - 1);
    const rows = c.tables[table];
    const start = this.start;
    // a teaching step in progress holds the lock itself (Play presses Step again)
    const canStep = store.free || (store.job === 'teach' && store.configValid);
    // while a step or flush is in flight a press would be refused: shown unavailable, not ignored unseen
    const inFlight = store.job === 'teach';
    return html`<div class="row">
        ${button('teach-step', !canStep || this.playing || inFlight, this.step, 'Step', 'One training step', 'primary')}
        ${button('teach-play', !canStep && !this.playing, this.play, this.playing ? '❚❚ Pause' : '▶ Play', 'A step every 0.35 s, until Pause')}
        ${fest ? nothing : button('teach-flush', !canStep || !live || this.playing || inFlight, this.flush, 'Flush', 'Add every row’s pending noise now, as the lab does before export or evaluation')}
        ${button('teach-restart', !live, this.restart, '↺ Restart', 'Start the teaching run again')}
        <label class="inline"
          >table
          <select name="teachTable" @change=${(e: Event) => this.moveSlice('teachTable', +(e.target as HTMLSelectElement).value)}>
            ${c.tables.map((r, i) => html`<option value=${i} ?selected=${i === table}>E${i} (${fmtRows(r)} rows)</option>`)}
          </select></label
        >
        <label class="inline"
          >first row
          <input type="number" name="teachStart" min="0" max=${Math.max(0, rows - 1)} .value=${String(start)} @change=${(e: Event) => this.setStart((e.target as HTMLInputElement).value)} />
        </label>
        <span class="small muted">step <b id="teach-step-count">${step}</b>${live ? ` of ${live.trainer.config.steps}` : ''} · rows ${start}–${start + n - 1}</span>
      </div>`;
  }

  /** Eager DP-SGD's rows beside LazyDP's pending noise, for the slice. */
  private lazyPanels(live: TeachState | undefined, step: number, n: number) {
    const c = store.config;
    const start = this.start;
    const totalRows = c.tables.reduce((a, b) => a + b, 0);
    const pending = Array.from({ length: SLICE }, (_, i) => (i < n && live ? step - live.history[i] : i < n ? 0 : -1));
    const sumPending = pending.reduce((a, b) => a + Math.max(0, b), 0);
    return html`<div class="panels">
        <div class="card">
          <h2><span class="swatch" style="background:${EAGER_COLOR}"></span>Eager DP-SGD</h2>
          <div class="grid" id="grid-eager">
            ${pending.map((p) => html`<div class="cell ${p < 0 ? 'outside' : step > 0 ? 'written' : ''}">${p < 0 ? '' : step > 0 ? '✓' : ''}</div>`)}
          </div>
          <div class="big">${fmtRows(totalRows)}</div>
          <div class="small muted">rows written with fresh noise at <i>every</i> step (all ${c.tables.length} tables); ${step > 0 ? html`<b>${(step * totalRows).toLocaleString('en-US')}</b> row writes so far` : 'none yet'}</div>
        </div>
        <div class="card">
          <h2><span class="swatch" style="background:${LAZY_COLOR}"></span>LazyDP</h2>
          <div class="grid" id="grid-lazy">
            ${pending.map(
              (p, i) =>
                html`<div
                  class="cell ${p < 0 ? 'outside' : ''} ${live && step > 0 && p === 0 && live.caughtUp > 0 && !live.flushed ? 'fresh' : ''}"
                  style=${p >= 0 ? `background:${pendingColor(p)}` : ''}
                  data-pending=${p}
                  title=${p >= 0 ? `row ${start + i}: ${p} pending noise step${p === 1 ? '' : 's'}` : ''}
                >
                  ${p > 0 ? p : ''}
                </div>`,
            )}
          </div>
          <div class="big">${live ? live.caughtUp : 0}</div>
          <div class="small muted">
            rows of this slice that received their pending noise this step${live?.flushed ? ' (flush: all of them)' : ' (the rows the next batch reads)'};
            ${live ? html`<b>${live.lazyWrites}</b> row writes in this slice so far vs <b>${step * n}</b> for eager; <b>${sumPending}</b> noise steps pending here` : 'press Step'}
          </div>
          <div class="legend" style="margin-top:8px">
            <span>pending noise steps</span><span>0</span><span class="ramp"></span><span>32+</span>
            <span><span class="swatch" style="outline:2px solid ${LAZY_COLOR};background:${pendingColor(0)}"></span>just caught up</span>
          </div>
        </div>
      </div>`;
  }

  /** The histogram of k draws against one, with its slider. */
  private aggCard(text: boolean) {
    if (!this.aggMemo || this.aggMemo.k !== this.k) this.aggMemo = { k: this.k, spec: aggregationSpec(this.k) };
    return html`<lab-chart id="chart-agg" heading="Why one draw can replace k draws" filename="aggregated-noise" .height=${220} .spec=${this.aggMemo.spec}>
        <div slot="note" class="row small" style="margin-bottom:6px">
          <label class="inline">k = <input type="range" min="1" max="64" .value=${String(this.k)} @input=${(e: Event) => (this.k = +(e.target as HTMLInputElement).value)} style="width:140px" /></label>
          <b>${this.k}</b> pending steps
        </div>
        ${
          text
            ? html`<p class="explain" style="margin-top:8px">
              The sum of k independent draws of N(0, s²) is itself Gaussian with mean 0 and variance k·s² (variances of independent variables
              add). So LazyDP draws a row's k pending steps of noise as <b>one</b> draw of N(0, k·s²) (with a learning-rate schedule, s² per step
              is weighted by η²). The two histograms above agree; only the number of random draws differs. <i>LazyDP-exact</i> instead replays
              each skipped step's own draw, bit for bit what eager DP-SGD would have added, to verify the engine.
            </p>`
            : nothing
        }
      </lab-chart>`;
  }

  private setStart(v: string) {
    const n = Math.round(+v);
    if (Number.isFinite(n) && n >= 0) this.moveSlice('teachStart', Math.min(n, 2 ** 31));
    else this.requestUpdate();
  }

  /** Shows another slice of the same run: re-read its history rather than starting over. */
  private async moveSlice(key: 'teachTable' | 'teachStart', v: number) {
    store.setUi(key, v);
    if (key === 'teachTable') store.setUi('teachStart', 0);
    if (current()) {
      await runner.teach(() => this.ensure());
      this.requestUpdate();
    }
  }
}
customElements.define('teach-view', TeachView);
