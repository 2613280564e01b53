// The "Privacy vs utility" view: the CLI's frontier (src/frontier/) run here, for the chosen
// private algorithms x target ε x seeds on the configuration panel's model and task, beside the
// non-private baseline. AUC against ε, the cost against ε, progress with the time left, Stop and
// Resume, the frontier as CSV and JSON, and a link with its settings.
import { LitElement, css, html, nothing } from 'lit';
import type { UiState } from '../../config/url';
import { FRONTIER_ALGO_NAMES, parseFrontierEpsilons } from '../../config/url-frontier';
import { encodeState } from '../../config/url';
import { fmtSeconds } from '../../frontier/frontier';
import { jsonInfinity } from '../../privacy/report';
import { aucSpec, costSpec, frontierRows, sharedFrontier } from './frontier-charts';
import { frontierJob } from './frontier-job';
import { downloadBlob, toCsv } from '../charts/lab-chart';
import '../charts/lab-chart';
import { copyText } from '../state/share';
import { browserName, deviceLine, sharedResults } from '../state/results';
import { ALGO_COLORS, ALGO_LABELS, sharedStyles, viewStyles } from '../styles';
import { store, StoreController } from '../state/store';

export class FrontierView extends LitElement {
  readonly storeCtl = new StoreController(this);
  static properties = {
    epsText: { state: true },
    fieldError: { state: true },
    copied: { state: true },
    linkUrl: { state: true },
  };
  /** the ε field as typed (kept while it does not parse: nothing typed is lost) */
  declare epsText: string;
  declare fieldError: string;
  declare copied: boolean;
  /** the last link made by Copy link, shown to select where the clipboard is not allowed */
  declare linkUrl: string;
  static styles = [
    sharedStyles,
    viewStyles,
    css`
      #frontier-eps {
        width: 160px;
      }
      #frontier-seeds {
        width: 56px;
      }
      progress {
        width: 220px;
      }
    `,
  ];

  constructor() {
    super();
    this.epsText = store.ui.frontierEpsilons;
    this.fieldError = '';
    this.copied = false;
    this.linkUrl = '';
  }

  private onJob = () => this.requestUpdate();
  connectedCallback(): void {
    super.connectedCallback();
    frontierJob.addEventListener('change', this.onJob);
  }
  disconnectedCallback(): void {
    super.disconnectedCallback();
    frontierJob.removeEventListener('change', this.onJob);
  }

  render() {
    const j = frontierJob;
    const theirs = store.shared?.results.frontier;
    this.setAttribute('data-frontier', j.state);
    return html`
      ${store.ui.text ? this.explain() : nothing} ${theirs ? this.senderNote() : nothing}
      ${
        store.dataSource === 'criteo'
          ? html`<p class="note" id="frontier-data">
              The frontier trains on the synthetic task (its planted teacher is the ceiling), not on the loaded Criteo file.
            </p>`
          : nothing
      }
      <div class="card">
        <h2>Frontier</h2>
        ${this.fields()} ${this.buttons()} ${this.progress()}
        ${this.fieldError || j.error ? html`<p class="note error" role="alert" id="frontier-error">${this.fieldError || j.error}</p>` : nothing}
      </div>
      <lab-chart id="chart-frontier-auc" heading="Held-out AUC vs ε" filename="frontier-auc" .height=${300} .spec=${aucSpec(j.result, theirs)}>
        <span slot="empty">${j.state === 'running' ? 'Training…' : 'Run the frontier to measure'}</span>
        <p slot="note" class="small muted">
          One curve per algorithm (mean over seeds; whiskers ± one standard deviation with two seeds or more); dashed: the non-private
          baseline; dotted: the planted teacher's AUC, the ceiling any model can reach on this task.
        </p>
      </lab-chart>
      <lab-chart id="chart-frontier-cost" heading="Cost vs ε" filename="frontier-cost" .height=${260} .spec=${costSpec(j.result, theirs)}>
        <span slot="empty">No runs yet</span>
        <p slot="note" class="small muted">Solid: median step time (left axis); dashed: table rows the update wrote per step, as the trainer counted them (right axis).</p>
      </lab-chart>
    `;
  }

  private explain() {
    return html`<p class="explain">
      How good a model at which ε? For each chosen private algorithm and target ε the lab calibrates σ with the configured accountant,
      trains the configuration panel's model on its synthetic task (batch, steps, learning rate and clip norm as set there) and
      evaluates it on the held-out split, beside the non-private baseline. Runs go in rounds, one seed at a time, so a stopped frontier
      still shows every algorithm and ε at fewer seeds. Fixed seeds: a measurement, not private releases. The default (DP-SGD and LazyDP
      at five ε, one seed, the default 300 steps) is 11 runs, a few minutes on a laptop GPU.
    </p>`;
  }

  private senderNote() {
    const r = store.shared!.results;
    const when = r.date?.replace('T', ' ').replace(/Z$/, ' UTC');
    return html`<p class="note info" id="frontier-shared">
      Thin dashed curves: the sender's frontier (${r.frontier!.points.length} points) from the shared link, measured on
      ${r.device || 'an unnamed device'}${when ? ` on ${when}` : ''}. Run the frontier to measure it here beside it.
    </p>`;
  }

  private fields() {
    const chosen = store.ui.frontierAlgos.split(',');
    const busy = frontierJob.state === 'running';
    return html`<div class="row" role="group" aria-label="Frontier settings">
      <fieldset class="row" style="border:0;padding:0;margin:0">
        <legend class="small muted">private algorithms</legend>
        ${FRONTIER_ALGO_NAMES.map(
          (a) => html`<label class="inline"
            ><input type="checkbox" name="frontier-algo" value=${a} .checked=${chosen.includes(a)} ?disabled=${busy} @change=${this.toggleAlgo} /><span
              class="swatch"
              style="background:${ALGO_COLORS[a as keyof typeof ALGO_COLORS]}"
            ></span
            >${ALGO_LABELS[a as keyof typeof ALGO_LABELS]}</label
          >`,
        )}
      </fieldset>
      <label class="inline">target ε <input id="frontier-eps" .value=${this.epsText} ?disabled=${busy} @change=${this.setEps} /></label>
      <label class="inline"
        >seeds <input id="frontier-seeds" type="number" min="1" max="20" .value=${String(store.ui.frontierSeeds)} ?disabled=${busy} @change=${this.setSeeds}
      /></label>
    </div>`;
  }

  private buttons() {
    const j = frontierJob;
    const running = j.state === 'running';
    return html`<div class="row">
      <button class="primary" id="frontier-run" ?disabled=${running || !store.free || !!this.fieldError} @click=${() => void j.start()}>Run frontier</button>
      <button id="frontier-stop" ?disabled=${!running} @click=${() => j.stop()}>Stop</button>
      <button id="frontier-resume" ?disabled=${j.state !== 'stopped' || !store.free} @click=${() => void j.resume()}>Resume</button>
      <button id="frontier-csv" ?disabled=${!j.done} @click=${this.csv}>CSV ↓</button>
      <button id="frontier-json" ?disabled=${!j.done} @click=${this.json}>JSON ↓</button>
      <button id="frontier-link" @click=${this.link}>Copy link</button>
      ${this.copied ? html`<span class="small" role="status">Link copied.</span>` : nothing}
      ${this.linkUrl ? html`<input id="frontier-link-text" readonly aria-label="Link to this frontier" .value=${this.linkUrl} />` : nothing}
    </div>`;
  }

  private progress() {
    const j = frontierJob;
    if (j.state === 'empty') return nothing;
    const left = j.secondsLeft;
    const text =
      `${j.done} of ${j.total} runs` +
      (j.state === 'running' && left !== undefined ? `, about ${fmtSeconds(left)} left` : '') +
      (j.current ? `; now ${j.current}` : j.state === 'stopped' ? '; stopped (Resume goes on from the next run)' : '');
    return html`<div class="row">
      <progress id="frontier-progress" max=${j.total} .value=${j.done} aria-label="Frontier runs done"></progress>
      <span class="small" id="frontier-status" role="status">${text}</span>
    </div>`;
  }

  private toggleAlgo = () => {
    const boxes = [...this.renderRoot.querySelectorAll<HTMLInputElement>('input[name="frontier-algo"]')];
    const on = boxes.filter((b) => b.checked).map((b) => b.value);
    this.fieldError = on.length ? '' : 'Choose at least one private algorithm.';
    if (on.length) store.setUi('frontierAlgos', on.join(','));
  };

  private setEps = (e: Event) => {
    this.epsText = (e.target as HTMLInputElement).value;
    try {
      store.setUi('frontierEpsilons', parseFrontierEpsilons(this.epsText).join(','));
      this.fieldError = '';
    } catch (err) {
      this.fieldError = `target ε: ${(err as Error).message}`;
    }
  };

  private setSeeds = (e: Event) => {
    const n = Math.round(+(e.target as HTMLInputElement).value);
    if (Number.isInteger(n) && n >= 1 && n <= 20) store.setUi('frontierSeeds', n);
    else this.fieldError = 'seeds: a whole number from 1 to 20.';
    if (Number.isInteger(n) && n >= 1 && n <= 20 && this.fieldError.startsWith('seeds')) this.fieldError = '';
  };

  private csv = () => {
    const r = frontierJob.result;
    if (r) downloadBlob('frontier.csv', new Blob([toCsv(frontierRows(r))], { type: 'text/csv' }));
  };

  private json = () => {
    const r = frontierJob.result;
    if (r)
      downloadBlob(
        'frontier.json',
        new Blob([JSON.stringify({ ...r, device: store.device }, jsonInfinity, 1)], { type: 'application/json' }),
      );
  };

  /** The link: this configuration and the frontier's settings, and the frontier measured here when there is one. */
  private link = async () => {
    const ui: Partial<UiState> = { ...store.ui, view: 'frontier', autorun: false };
    const r = frontierJob.result;
    const base = sharedResults() ?? {
      device: deviceLine(),
      timing: 'cpu' as const,
      algos: {},
      date: new Date().toISOString().slice(0, 16) + 'Z',
      browser: browserName(),
    };
    const results = r?.points.length ? { ...base, frontier: sharedFrontier(r) } : undefined;
    this.linkUrl = `${location.origin}${location.pathname}#${encodeState({ config: store.config, ui, results })}`;
    this.copied = await copyText(this.linkUrl);
  };
}
customElements.define('frontier-view', FrontierView);
