// The page: header (device, share, download), the configuration on the left, run controls and
// one view at a time on the right. The open view is part of the URL state, so a link opens
// where the sender was looking.

import { LitElement, css, html, nothing } from 'lit';
import { isPrivate } from '../config/config';
import { VIEWS, type View } from '../config/url';
import './config-panel';
import './device-view';
import './no-webgpu';
import './run-controls';
import './stages-view';
import './sweep-view';
import './teach-view';
import './train-view';
import './audit-view';
import { setChartFontScale, type LabChart } from './lab-chart';
import { runner, deviceLine } from './runner';
import { copyText, downloadJson, shareLink } from './share';
import { sharedStyles } from './styles';
import { store, StoreController } from './store';
import { startUrlSync } from './url-sync';

const VIEW_TITLES: Record<View, string> = {
  train: 'Training curves',
  stages: 'Stage latency',
  sweep: 'Table-size sweep',
  teach: 'How LazyDP works',
  device: 'Device',
  audit: 'Audit',
};

export class DpLab extends LitElement {
  static properties = {
    share: { state: true },
    menuOpen: { state: true },
    cfgOpen: { state: true },
    present: { state: true },
  };
  declare share: { url: string; withResults: boolean; copied: boolean } | undefined;
  /** Narrow screens: the header's actions fold into a menu, the configuration into a section. */
  declare menuOpen: boolean;
  declare cfgOpen: boolean;
  /** presentation mode: larger text and charts, configuration hidden (not part of the link) */
  declare present: boolean;

  constructor() {
    super();
    this.present = false;
    this.menuOpen = false;
    this.cfgOpen = false;
  }
  readonly storeCtl = new StoreController(this);

  static styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        min-height: 100vh;
        background: var(--bg);
      }
      header {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 8px 16px;
        padding: 10px 20px;
        background: #0f172a;
        color: #e2e8f0;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
      }
      #menu-toggle,
      .cfg-toggle {
        display: none;
      }
      .skip {
        position: absolute;
        left: 8px;
        top: -60px;
        z-index: 20;
      }
      .skip:focus {
        top: 8px;
      }
      .brand {
        font-weight: 700;
        font-size: 16px;
        letter-spacing: -0.01em;
        white-space: nowrap;
      }
      .brand span {
        font-weight: 400;
        color: #94a3b8;
        margin-left: 8px;
        font-size: 13px;
      }
      .chip {
        font-size: 12px;
        color: #cbd5e1;
        border: 1px solid #334155;
        border-radius: 999px;
        padding: 2px 10px;
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
        max-width: 48ch;
        min-width: 0;
      }
      .chip .dot {
        display: inline-block;
        width: 7px;
        height: 7px;
        border-radius: 50%;
        margin-right: 6px;
        background: #22c55e;
      }
      .chip.lost .dot,
      .chip.unavailable .dot {
        background: #ef4444;
      }
      .chip.pending .dot {
        background: #eab308;
      }
      .spacer {
        flex: 1;
      }
      header button {
        background: #1e293b;
        border-color: #334155;
        color: #e2e8f0;
      }
      header button:hover:not(:disabled) {
        border-color: #64748b;
      }
      header button.primary {
        background: var(--accent);
        border-color: var(--accent);
      }
      .layout {
        display: grid;
        grid-template-columns: 330px minmax(0, 1fr);
        grid-template-rows: auto 1fr;
        min-height: calc(100vh - 52px);
      }
      aside {
        grid-column: 1;
        grid-row: 1 / span 2;
        border-right: 1px solid var(--line);
        background: var(--card);
        padding: 4px 14px 20px;
        overflow: auto;
        max-height: calc(100vh - 52px);
        position: sticky;
        top: 0;
      }
      .controls,
      main {
        padding: 16px 20px 0;
        display: grid;
        grid-template-columns: minmax(0, 1fr);
        gap: 14px;
        align-content: start;
        min-width: 0;
      }
      .controls {
        grid-column: 2;
        grid-row: 1;
      }
      main {
        grid-column: 2;
        grid-row: 2;
        padding: 14px 20px 40px;
      }
      nav {
        display: flex;
        flex-wrap: wrap;
        gap: 2px;
        border-bottom: 1px solid var(--line);
      }
      [role='tabpanel']:focus-visible {
        outline: 2px solid var(--accent);
        outline-offset: 2px;
      }
      nav button {
        border: none;
        border-bottom: 2px solid transparent;
        border-radius: 0;
        background: none;
        padding: 8px 12px;
        color: var(--muted);
        font-weight: 500;
      }
      nav button[aria-selected='true'] {
        color: var(--fg);
        border-bottom-color: var(--accent);
      }
      .banner {
        border-radius: 8px;
        padding: 10px 14px;
        border: 1px solid;
        display: grid;
        grid-template-columns: 1fr auto;
        gap: 4px 12px;
        align-items: start;
      }
      .banner.error {
        background: var(--danger-weak);
        border-color: var(--danger);
        color: var(--danger);
      }
      .banner.warning {
        background: var(--warn-weak);
        border-color: var(--warn-line);
        color: var(--warn);
      }
      .banner.info {
        background: var(--info-bg);
        border-color: var(--info-line);
        color: var(--info-fg);
      }
      .banner b {
        display: block;
      }
      .banner ul {
        margin: 4px 0 0;
        padding-left: 18px;
        font-size: 12px;
      }
      .banner .acts {
        display: flex;
        gap: 6px;
      }
      .sharebox {
        position: fixed;
        right: 20px;
        top: 56px;
        width: min(560px, calc(100vw - 40px));
        z-index: 10;
        box-shadow: 0 10px 30px rgba(15, 23, 42, 0.18);
      }
      .sharebox input {
        width: 100%;
        font-family: ui-monospace, monospace;
        font-size: 12px;
      }
      /* below a tablet width: run controls first, then the configuration as a section that
         opens on demand, then the views, so Train is always on the first screen */
      @media (max-width: 900px) {
        .layout {
          grid-template-columns: minmax(0, 1fr);
          grid-template-rows: none;
        }
        aside,
        .controls,
        main {
          grid-column: 1;
          grid-row: auto;
        }
        aside {
          position: static;
          max-height: none;
          border-right: none;
          border-top: 1px solid var(--line);
          border-bottom: 1px solid var(--line);
          margin-top: 14px;
          padding: 8px 12px;
        }
        .cfg-toggle {
          display: flex;
          width: 100%;
          justify-content: space-between;
        }
        aside:not(.open) config-panel {
          display: none;
        }
        header {
          padding: 8px 12px;
        }
        .controls,
        main {
          padding-left: 12px;
          padding-right: 12px;
        }
      }
      @media (max-width: 800px) {
        .brand span {
          display: none;
        }
        #menu-toggle {
          display: inline-block;
        }
        .actions {
          display: none;
          width: 100%;
        }
        .actions.open {
          display: flex;
        }
        .chip {
          max-width: 100%;
          order: 3;
          flex-basis: 100%;
          white-space: normal;
          overflow-wrap: anywhere;
        }
      }
      /* explanations hidden: a clean canvas for slides */
      :host([data-text='0']) .layout {
        grid-template-columns: minmax(0, 1fr);
      }
      :host([data-text='0']) .controls,
      :host([data-text='0']) main {
        grid-column: 1;
      }
      :host([data-text='0']) aside,
      :host([data-present]) aside {
        display: none;
      }
      :host([data-present]) {
        --font-scale: 1.35;
        --chart-scale: 1.6;
      }
      :host([data-present]) .layout {
        grid-template-columns: minmax(0, 1fr);
      }
      :host([data-present]) .controls,
      :host([data-present]) main {
        grid-column: 1;
      }
    `,
  ];

  connectedCallback(): void {
    super.connectedCallback();
    // a handle for debugging from the console and for the UI tests (e.g. simulating device loss)
    (window as unknown as { __dpLab: unknown }).__dpLab = { store, runner };
    // A first visit (no state in the address) trains the default configuration at once, so the
    // lab shows something real immediately; a shared link trains only with autorun=1.
    const firstVisit = location.hash.length <= 1;
    startUrlSync();
    window.addEventListener('pagehide', () => runner.release());
    // back/forward cache: the device was released on pagehide, so take a fresh one
    window.addEventListener('pageshow', (e) => {
      if (e.persisted) void runner.connect();
    });
    void this.boot(firstVisit);
  }

  private async boot(firstVisit: boolean) {
    const ok = await runner.connect();
    if (!ok || !(store.ui.autorun || firstVisit) || !store.configValid) return;
    const main = runner.train();
    if (!firstVisit) return;
    // A first visit shows a private run beside its non-private baseline: once the default run
    // has finished (not when it was paused, stopped or the configuration changed), the other
    // kind follows through the same path as "Train non-private baseline".
    await main;
    const algo = store.config.algo;
    const other = isPrivate(store.config) ? 'sgd' : 'lazydp';
    const done = store.latestByAlgo((r) => r.summary !== undefined && r.stepsDone >= r.target);
    if (store.status === 'done' && done.has(algo) && !done.has(other) && store.job === null)
      await runner.compare([other], store.config.steps);
  }

  protected updated(): void {
    this.setAttribute('data-device', store.deviceState);
    this.setAttribute('data-view', store.ui.view);
    this.setAttribute('data-text', store.ui.text ? '1' : '0');
    this.toggleAttribute('data-present', this.present);
  }

  private togglePresent = () => {
    this.present = !this.present;
    setChartFontScale(this.present ? 1.5 : 1);
  };

  private resumeFile = (e: Event) => {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = ''; // the same file can be chosen again
    if (file) void runner.resumeFromFile(file);
  };

  render() {
    if (store.deviceState === 'unavailable' && !store.device) {
      const b = store.banners.find((x) => x.id === 'device');
      return html`<no-webgpu reason="adapter" .detail=${b?.message ?? ''}></no-webgpu>`;
    }
    const view = store.ui.view;
    const device = store.device ? deviceLine() : 'connecting…';
    return html`
      <button class="skip primary" id="skip" @click=${this.skipToControls}>Skip to run controls</button>
      <header>
        <div class="brand">DP-SGD Lab<span>differentially private recommendation training on WebGPU</span></div>
        <div class="spacer"></div>
        <button
          id="menu-toggle"
          aria-expanded=${this.menuOpen ? 'true' : 'false'}
          aria-controls="actions"
          @click=${() => (this.menuOpen = !this.menuOpen)}
        >
          ☰ Menu
        </button>
        <div class="chip ${store.deviceState}" id="device-chip" title=${`GPU adapter: ${device} (see the Device view)`}>
          <span class="dot"></span>${device}
        </div>
        <div class="actions ${this.menuOpen ? 'open' : ''}" id="actions">
          <button id="toggle-text" @click=${() => store.setUi('text', !store.ui.text)} title="Hide explanations and the configuration, for slides">
            ${store.ui.text ? 'Hide explanations' : 'Show explanations'}
          </button>
          <button id="present" aria-pressed=${this.present ? 'true' : 'false'} @click=${this.togglePresent} title="Larger text and charts for a projector; each chart also has Full screen">
            Present
          </button>
          <button id="share" class="primary" @click=${this.openShare} title="A link with this configuration and the numbers measured here">Share results</button>
          <button id="download-json" @click=${downloadJson} ?disabled=${store.runs.length === 0 && store.sweep.length === 0}>Download JSON</button>
          <button id="download-model" @click=${() => runner.downloadModel()} ?disabled=${!runner.modelAvailable} title="The trained weights as safetensors (pending LazyDP noise flushed first; the metadata records algo, σ, clip, ε and whether the seed was fixed)">
            Download model
          </button>
          <button
            id="resume-model"
            ?disabled=${!store.idle}
            @click=${() => this.renderRoot.querySelector<HTMLInputElement>('#resume-file')?.click()}
            title="Continue a downloaded model (a run stopped before its last step): its configuration and weights, paused at its step"
          >
            Open model…
          </button>
          <input id="resume-file" type="file" accept=".safetensors" hidden aria-label="model file to continue" @change=${this.resumeFile} />
        </div>
      </header>
      ${this.share ? this.shareBox() : nothing}
      <div class="layout">
        <div class="controls">
          ${store.banners.map((b) => this.bannerView(b))}
          <run-controls id="run-controls" tabindex="-1" role="region" aria-label="Run controls"></run-controls>
        </div>
        <aside class=${this.cfgOpen ? 'open' : ''} aria-label="Configuration">
          <button class="cfg-toggle" aria-expanded=${this.cfgOpen ? 'true' : 'false'} aria-controls="config" @click=${() => (this.cfgOpen = !this.cfgOpen)}>
            <span>Configuration</span><span aria-hidden="true">${this.cfgOpen ? '▴' : '▾'}</span>
          </button>
          <config-panel id="config"></config-panel>
        </aside>
        <main>
          <nav role="tablist" aria-label="Views" @keydown=${this.tabKeys}>
            ${VIEWS.map(
              (v) => html`<button
                role="tab"
                id=${`tab-${v}`}
                data-view=${v}
                aria-selected=${v === view ? 'true' : 'false'}
                aria-controls=${`panel-${v}`}
                tabindex=${v === view ? '0' : '-1'}
                @click=${() => store.setUi('view', v)}
              >
                ${VIEW_TITLES[v]}
              </button>`,
            )}
          </nav>
          ${VIEWS.map(
            (
              v,
            ) => html`<section role="tabpanel" id=${`panel-${v}`} aria-labelledby=${`tab-${v}`} tabindex="0" ?hidden=${v !== view}>
              ${v === view ? this.viewFor(v) : nothing}
            </section>`,
          )}
        </main>
      </div>
    `;
  }

  /** The skip link: focus lands on the run controls, so the next Tab reaches Train. */
  private skipToControls = () => {
    this.renderRoot.querySelector<HTMLElement>('#run-controls')?.focus();
  };

  /** ARIA tabs: arrows move between views (and open them), Home and End jump to the ends. */
  private tabKeys = (e: KeyboardEvent) => {
    const i = VIEWS.indexOf(store.ui.view);
    const n = VIEWS.length;
    const next = { ArrowRight: (i + 1) % n, ArrowLeft: (i - 1 + n) % n, Home: 0, End: n - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    store.setUi('view', VIEWS[next]);
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`#tab-${VIEWS[next]}`)?.focus());
  };

  private viewFor(v: View) {
    switch (v) {
      case 'train':
        return html`<train-view></train-view>`;
      case 'stages':
        return html`<stages-view></stages-view>`;
      case 'sweep':
        return html`<sweep-view></sweep-view>`;
      case 'teach':
        return html`<teach-view></teach-view>`;
      case 'device':
        return html`<device-view></device-view>`;
      case 'audit':
        return html`<audit-view></audit-view>`;
    }
  }

  private bannerView(b: (typeof store.banners)[number]) {
    return html`<div class="banner ${b.kind}" role=${b.kind === 'error' ? 'alert' : 'status'} data-banner=${b.id}>
      <div>
        <b>${b.title}</b>${
          b.message.length > 320
            ? html`${b.message.slice(0, 300)}… <details><summary class="small">full message</summary><code style="white-space:pre-wrap">${b.message}</code></details>`
            : b.message
        }
        ${b.details?.length ? html`<ul>${b.details.map((d) => html`<li>${d}</li>`)}</ul>` : nothing}
      </div>
      <div class="acts">
        ${b.action ? html`<button class="primary" @click=${b.action.run}>${b.action.label}</button>` : nothing}
        <button class="ghost" title="Dismiss" @click=${() => store.dismiss(b.id)}>✕</button>
      </div>
    </div>`;
  }

  private openShare = async () => {
    const s = shareLink();
    this.share = { ...s, copied: false };
    const copied = await copyText(s.url);
    if (this.share?.url === s.url) this.share = { ...s, copied };
  };

  private shareBox() {
    const s = this.share!;
    return html`<div class="card sharebox" id="sharebox">
      <div class="row" style="justify-content:space-between">
        <h2>${s.withResults ? 'Link with your results' : 'Link to this configuration'}</h2>
        <button class="ghost" @click=${() => (this.share = undefined)}>✕</button>
      </div>
      <p class="small muted">
        ${
          s.withResults
            ? 'Carries the configuration, this device and the per-stage medians measured here. Whoever opens it sees your numbers beside a button that runs the same configuration on their GPU.'
            : 'Nothing has been measured on this configuration yet: the link carries the configuration only. Train or run all four algorithms to include results.'
        }
      </p>
      ${
        store.dataSource === 'criteo' && store.criteo
          ? html`<p class="note" data-share-data>
            These runs used the Criteo file <b>${store.criteo.name}</b>. A link cannot carry a file: it reproduces the configuration (26 tables,
            13 dense features, pooling 1, ${store.config.datasetSize.toLocaleString('en-US')} training examples), and whoever opens it must
            load the same file under Data → “Criteo TSV file…”; otherwise they train on the synthetic task.
          </p>`
          : nothing
      }
      <input id="share-link" readonly .value=${s.url} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
      <div class="row" style="margin-top:8px">
        <button @click=${async () => (this.share = { ...s, copied: await copyText(s.url) })}>Copy</button>
        <span class="small ${s.copied ? '' : 'muted'}">${s.copied ? 'Copied to the clipboard.' : 'Select and copy the link.'}</span>
        <span class="spacer"></span>
        <span class="small muted">${s.url.length} characters</span>
      </div>
    </div>`;
  }

  /** Every chart on the current view (for tests and slide export). */
  charts(): LabChart[] {
    const out: LabChart[] = [];
    const walk = (root: ParentNode) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.tagName === 'LAB-CHART') out.push(el as LabChart);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(this.renderRoot);
    return out;
  }
}
customElements.define('dp-lab', DpLab);
