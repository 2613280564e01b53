// The Audit view: the one-run privacy audit (src/audit/run.ts) of the current configuration.
// Histograms of the "in" and "out" canaries' scores, the ε lower bound beside the accountant's ε,
// and a switch for the deliberate flaws (broken on purpose, for the classroom).

import { LitElement, css, html, nothing } from 'lit';
import type { ChartSpec } from '../charts/lab-chart';
import '../charts/lab-chart';
import { fmtBytes } from '../format';
import { runner } from '../state/runner';
import { sharedStyles, viewStyles } from '../styles';
import { store, StoreController } from '../state/store';
import type { AuditResult } from '../../audit/run';
import { CANARY_KINDS, SCORE_TEXT, type CanaryKind } from '../../audit/kinds';
import { auditPrivacy, auditVerdict } from '../../audit/verdict';
import { idealBoundForRun } from '../../audit/ideal';
import { AUDIT_FLAWS, AUDITED, FLAW_ALGO, FLAW_TEXT, type AuditFlaw } from '../../audit/flaw-names';
import { algorithm, algorithmOf, type AlgoName } from '../../algorithms';
import { auditedConfig, lowPowerNote } from '../../audit/power';

type AuditAlgo = AlgoName;
/** The picker's algorithms: the audited ones, an exact mode left out (it audits the same noise). */
const PICKER = AUDITED.filter((a) => !a.exactOf);

/** Histogram of the in and out canaries' scores over common bins. */
export function scoreHistogramSpec(
  scores: readonly number[],
  member: readonly boolean[],
  bins = 30,
  kind: CanaryKind = 'gradient',
): ChartSpec {
  const max = Math.max(0, ...scores);
  const min = Math.min(max, ...scores);
  const w = (max - min) / bins || 1;
  const counts = (want: boolean) => {
    const h = new Array(bins).fill(0);
    scores.forEach((s, j) => {
      if (member[j] === want) h[Math.min(bins - 1, Math.floor((s - min) / w))]++;
    });
    return h;
  };
  const labels = Array.from({ length: bins }, (_, i) => (min + (i + 0.5) * w).toExponential(1));
  return {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { label: 'in (trained on)', data: counts(true), backgroundColor: 'rgba(220, 38, 38, 0.6)' },
        { label: 'out (never seen)', data: counts(false), backgroundColor: 'rgba(37, 99, 235, 0.6)' },
      ],
    },
    options: {
      scales: {
        x: { title: { display: true, text: `score: ${SCORE_TEXT[kind]}` } },
        y: { title: { display: true, text: 'canaries' }, beginAtZero: true },
      },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
    },
  };
}

export class AuditView extends LitElement {
  readonly storeCtl = new StoreController(this);
  static styles = [
    sharedStyles,
    viewStyles,
    css`
      .eps {
        display: flex;
        gap: 24px;
        align-items: baseline;
        flex-wrap: wrap;
      }
      .eps b {
        font-size: 22px;
      }
      .broken {
        border: 2px solid #dc2626;
      }
      label.inline input {
        width: 72px;
      }
    `,
  ];

  private algo: AuditAlgo = PICKER[0].name;
  private flaw: AuditFlaw = 'none';
  private kind: CanaryKind = 'gradient';
  private canaries = 1000;
  private power = false;
  private busy = false;
  private progress = '';
  private error = '';
  private result?: AuditResult;
  private abort?: AbortController;

  connectedCallback(): void {
    super.connectedCallback();
    // the panel's algorithm, or the picker's one that is read the same way (lazy: flushed)
    const a = algorithmOf(store.config);
    this.algo = (
      PICKER.find((p) => p.name === a.name) ??
      PICKER.find((p) => p.beforeRead === a.beforeRead) ??
      PICKER[0]
    ).name;
  }

  private setAlgo(a: AuditAlgo): void {
    this.algo = a;
    // a flaw belongs to one algorithm: keep the pair consistent
    if (this.flaw !== 'none' && FLAW_ALGO[this.flaw] !== a) this.flaw = 'none';
    this.requestUpdate();
  }

  private setFlaw(f: AuditFlaw): void {
    this.flaw = f;
    if (f !== 'none') this.algo = FLAW_ALGO[f];
    this.requestUpdate();
  }

  private async run(): Promise<void> {
    const device = runner.device;
    // the audit trains its own model: it takes the lab's one lock like any other GPU job
    if (!device || !store.free || !store.lock('audit', 'privacy audit')) return;
    this.busy = true;
    this.error = '';
    this.progress = 'building…';
    this.abort = new AbortController();
    this.requestUpdate();
    try {
      const { runAudit } = await import('../../audit/run');
      const config = { ...store.config, algo: this.algo };
      this.result = await runAudit(device, config, {
        canaries: this.canaries,
        canaryKind: this.kind,
        flaw: this.flaw,
        power: this.power,
        signal: this.abort.signal,
        onProgress: (s, n) => {
          this.progress = `step ${s} / ${n}`;
          this.requestUpdate();
        },
      });
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      store.unlock('audit');
      this.busy = false;
      this.progress = '';
      this.requestUpdate();
    }
  }

  render() {
    const r = this.result;
    this.setAttribute('data-audit', this.busy ? 'running' : r ? 'done' : 'empty');
    return html`
      ${store.ui.text ? this.explain() : nothing}
      <div class="card ${this.flaw !== 'none' ? 'broken' : ''}">
        <h2>Audit the current configuration</h2>
        ${this.pickers()} ${this.runNote()} ${this.flawPicker()} ${this.runButton()}
        ${this.error ? html`<p class="err" id="audit-error">${this.error}</p>` : nothing}
      </div>
      ${r ? this.resultView(r) : nothing}
    `;
  }

  private explain() {
    return html`<p class="explain">
      The ε the lab shows is an <i>upper</i> bound from the accountant: it holds only if the code does exactly what
      the mathematics assumes. This audit checks the code from the outside, in one training run (Steinke, Nasr and
      Jagielski, NeurIPS 2023): it plants ${this.canaries} canaries, each with its own embedding rows, puts each one in
      the training set by a coin flip, trains, and then guesses from how far each canary's rows moved which canaries
      were trained on. Many right guesses prove, with 95% confidence, that the run is <i>not</i> private for any ε
      below the <b>lower bound</b>. A lower bound above the accountant's ε means the privacy claim is false: a bug. A
      lower bound below it proves nothing either way: a better attack might find more, and an honest run's bound is
      usually far below its ε. The audit sees only the final model: in a run that samples each example rarely, a
      canary's few steps drown in the noise of all the others, so its bound stays far below ε; the <b>power</b> audit
      trains the same model on full batches, where the bound can reach the idealised one. The two flaws are bugs
      built in on purpose, to show the audit catching them.
    </p>`;
  }

  private pickers() {
    const set = (f: () => void) => {
      f();
      this.requestUpdate();
    };
    return html`<div class="row">
      <label class="inline"
        >algorithm
        <select
          id="audit-algo"
          .value=${this.algo}
          @change=${(e: Event) => this.setAlgo((e.target as HTMLSelectElement).value as AuditAlgo)}
        >
          ${PICKER.map((a) => html`<option value=${a.name} ?selected=${this.algo === a.name}>${a.label}</option>`)}
        </select>
      </label>
      <label class="inline"
        >canary kind
        <select
          id="audit-kind"
          .value=${this.kind}
          @change=${(e: Event) => set(() => (this.kind = (e.target as HTMLSelectElement).value as CanaryKind))}
        >
          ${CANARY_KINDS.map((k) => html`<option value=${k} ?selected=${this.kind === k}>${k}</option>`)}
        </select>
      </label>
      <label class="inline"
        >canaries
        <input
          id="audit-canaries"
          type="number"
          min="2"
          max="100000"
          .value=${String(this.canaries)}
          @change=${(e: Event) =>
            set(
              () =>
                (this.canaries = Math.max(
                  2,
                  Math.min(100000, Math.round(Number((e.target as HTMLInputElement).value)) || 1000),
                )),
            )}
        />
      </label>
      <label class="inline" title="audit a full-batch run of this model, whose bound can reach the idealised one">
        <input
          id="audit-power"
          type="checkbox"
          .checked=${this.power}
          @change=${(e: Event) => set(() => (this.power = (e.target as HTMLInputElement).checked))}
        />
        power (full-batch run)
      </label>
    </div>`;
  }

  /** What the audit will train: the panel's run, or its power run, with the canaries' cost. */
  private runNote() {
    const c = auditedConfig(store.config, this.power);
    const low = this.power ? undefined : lowPowerNote(c);
    return html`<p class="small muted" id="audit-memory">
        Trains ${this.power ? html`the power run of the panel's model` : html`the panel's configuration`} as
        ${algorithm(this.algo).label} once${
          this.power
            ? html` (${c.datasetSize} examples, q = ${(c.batch / c.datasetSize).toFixed(3)}, ${c.steps} steps, σ
                calibrated to ε ${c.targetEpsilon})`
            : nothing
        },
        plus ${this.canaries} canary rows in each of its ${c.tables.length} tables
        (${fmtBytes(this.canaries * c.tables.length * c.dim * 4)} of table, in its memory plan)
        ${
          this.kind === 'gradient'
            ? html`; an "in" canary adds a fixed gradient of norm C to its rows whenever it is sampled (plain SGD on
                the tables only)`
            : html`and one extra example per "in" canary`
        }.
      </p>
      ${low ? html`<p class="small" id="audit-low-power">${low.replace('`audit --power`', 'the power audit')}.</p>` : nothing}`;
  }

  private flawPicker() {
    return html`<fieldset id="audit-flaw" style="margin-top:8px">
        <legend class="small">flaw (for teaching)</legend>
        ${AUDIT_FLAWS.map(
          (f) =>
            html`<label class="inline" style="display:flex">
              <input type="radio" name="flaw" value=${f} .checked=${this.flaw === f} @change=${() => this.setFlaw(f)} />
              ${f === 'none' ? 'none (honest)' : html`<span class="badge danger">BROKEN</span> ${f}`}
            </label>`,
        )}
      </fieldset>
      ${
        this.flaw !== 'none'
          ? html`<p class="small err">${FLAW_TEXT[this.flaw]}. Only the audit can run it; such a model is never exported.</p>`
          : nothing
      }`;
  }

  private runButton() {
    return html`<p style="margin-top:8px">
      <button
        class="primary"
        id="audit-run"
        ?disabled=${!store.free || this.busy || !runner.device}
        @click=${() => void this.run()}
      >
        Run audit
      </button>
      ${
        this.busy
          ? html`<button @click=${() => this.abort?.abort()}>Cancel</button>
              <span class="muted" id="audit-progress">${this.progress}</span>`
          : nothing
      }
    </p>`;
  }

  private resultView(r: AuditResult) {
    // the CLI's verdict and caveats (src/audit/verdict.ts): a run whose ε is no guarantee says so
    const privacy = auditPrivacy(r);
    const v = auditVerdict(r, privacy);
    const ideal = idealBoundForRun(r.canaries, r.epsilon, r.delta, { confidence: r.confidence });
    const badge =
      v.verdict === 'false'
        ? html`<span class="badge danger">claim false</span>`
        : v.verdict === 'no-claim'
          ? html`<span class="badge">no claim</span>`
          : html`<span class="badge ok">consistent</span>`;
    return html`
      <div
        class="card ${r.broken ? 'broken' : ''}"
        id="audit-result"
        data-epsilon-lower=${r.epsilonLower}
        data-epsilon=${r.epsilon}
        data-verdict=${v.verdict}
        data-power=${r.power}
      >
        <h2>
          ${algorithm(r.algo).label}
          ${r.broken ? html`<span class="badge danger">BROKEN on purpose: ${r.flaw}</span>` : nothing}
        </h2>
        <div class="eps">
          <span>ε lower bound (95%) <b>${r.epsilonLower.toFixed(2)}</b></span>
          <span>idealised bound <b id="audit-ideal">${ideal.epsilonLower.toFixed(2)}</b></span>
          <span>accountant's ε <b>${Number.isFinite(r.epsilon) ? r.epsilon.toFixed(2) : '∞'}</b></span>
          <span>at δ = ${r.delta}</span>
        </div>
        <p id="audit-verdict">${badge} ${v.text}.</p>
        ${privacy.reasons.map((why) => html`<p class="small err">not a guarantee: ${why}</p>`)}
        <p class="small muted">
          ${r.canaries} ${r.canaryKind} canaries (${r.inCanaries} in), ${r.guesses} guesses (${r.kIn} "in", ${r.kOut}
          "out"), ${r.correct} correct; audit seed ${r.auditSeed}${
            r.power
              ? `; power run: ${r.auditConfig.datasetSize} examples, ${r.auditConfig.steps} steps, σ ${r.sigma.toFixed(2)}`
              : ''
          }. Score: ${r.scoreText}. The idealised bound is a
          Gaussian mechanism with this run's ε audited the same way: the best these canaries could show.
        </p>
      </div>
      <lab-chart
        heading="Canary scores"
        .spec=${scoreHistogramSpec(r.canaryScores, r.member, 30, r.canaryKind)}
        filename="audit-scores"
      ></lab-chart>
    `;
  }
}
customElements.define('audit-view', AuditView);
