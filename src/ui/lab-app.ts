// The page: header (device, share, download), the configuration on the left, run controls and
// one view at a time on the right. The open view is part of the URL state, so a link opens
// where the sender was looking.

import { LitElement, html, nothing } from 'lit';
import { isPrivate } from '../config/config';
import { BASELINE, FEATURED } from '../algorithms';
import { VIEWS, type View } from '../config/url';
import './panel/config-panel';
import './views/device-view';
import './no-webgpu';
import type { RunControls } from './panel/run-controls';
import './panel/run-controls';
import './views/stages-view';
import './views/sweep-view';
import './views/teach-view';
import './views/train-view';
import './views/audit-view';
import './views/frontier-view';
import { setChartFontScale, type LabChart } from './charts/lab-chart';
import { runner, deviceLine } from './state/runner';
import { downloadJson } from './state/share';
import { openShare, shareBox, type ShareState } from './panel/share-box';
import { labAppStyles } from './lab-styles';
import { sharedStyles } from './styles';
import { store, StoreController } from './state/store';
import { startUrlSync } from './state/url-sync';

const VIEW_TITLES: Record<View, string> = {
  train: 'Training curves',
  stages: 'Stage latency',
  sweep: 'Table-size sweep',
  teach: 'How LazyDP works',
  device: 'Device',
  audit: 'Audit',
  frontier: 'Privacy vs utility',
};

export class DpLab extends LitElement {
  static properties = {
    share: { state: true },
    menuOpen: { state: true },
    cfgOpen: { state: true },
    present: { state: true },
  };
  declare share: ShareState | undefined;
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

  static styles = [sharedStyles, labAppStyles];

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
    const other = isPrivate(store.config) ? BASELINE : FEATURED;
    const done = store.latestByAlgo((r) => r.summary !== undefined && r.stepsDone >= r.target);
    if (store.status === 'done' && done.has(algo) && !done.has(other) && store.job === null)
      await runner.compare([other], store.config.steps, 1); // the status says "2nd of 2 runs"
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
        <h1 class="brand">DP-SGD Lab<span>differentially private recommendation training on WebGPU</span></h1>
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
          <button id="share" class="primary" @click=${() => openShare(this)} title="A link with this configuration and the numbers measured here">Share results</button>
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
      ${this.share ? shareBox(this) : nothing}
      <div class="layout">
        <div class="controls">
          ${store.banners.map((b) => this.bannerView(b))}
          <run-controls id="run-controls" role="region" aria-label="Run controls"></run-controls>
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

  /**
   * The skip link: focus lands on Train. (A tabindex="-1" on the run controls' host, once used
   * for this, took all five buttons out of the Tab order: a shadow host with a negative tabindex
   * hides its whole shadow tree from sequential navigation.)
   */
  private skipToControls = () => {
    this.renderRoot.querySelector<RunControls>('#run-controls')?.focusFirst();
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
      case 'frontier':
        return html`<frontier-view></frontier-view>`;
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
