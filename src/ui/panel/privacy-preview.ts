// The privacy a run will spend, before running it: sigma (calibrated when a target epsilon is
// set) and epsilon after all steps from both accountants side by side (the configured one is
// what the run reports), and the privacy profile eps(delta) of the run. Same engine functions
// as the trainer, run in the lab's privacy worker (src/ui/workers/privacy-client.ts): PRV compositions
// take up to a second for long runs, so they run off the main thread, after the configuration has
// stopped changing for a moment, and only the answer to the latest configuration is shown.

import { LitElement, css, html, nothing } from 'lit';
import { isPrivate, PRV_MIN_DELTA, type Config } from '../../config/config';
import { fmtEps, fmtNum, fmtSci, sentence } from '../format';
import { sharedStyles } from '../styles';
import { SHUFFLE_WARNING } from '../../privacy/sampling';
import { FIXED_SEED_WARNING, noPrivacyReason } from '../../privacy/report';
import { privacySource, requestPreview } from '../workers/privacy-client';
import { previewKey, type Preview } from '../workers/privacy-compute';
import { store, StoreController } from '../state/store';
import type { ChartSpec } from '../charts/lab-chart';
import '../charts/lab-chart';

let memo: Preview | undefined;
/** the configuration waiting (debounce) or being computed, and which of the two */
let pending: { key: string; state: 'queued' | 'computing'; timer?: ReturnType<typeof setTimeout> } | undefined;

function profileSpec(p: Preview, c: Config): ChartSpec {
  const pts = p.profile ?? [];
  const line = (label: string, color: string, y: (r: { prv: number; rdp: number }) => number, dash: number[] = []) => {
    const shown = pts.filter((r) => Number.isFinite(y(r)));
    return {
      label,
      data: shown.map((r) => ({ x: r.delta, y: y(r) })),
      borderColor: color,
      backgroundColor: color,
      borderWidth: 2,
      borderDash: dash,
      pointRadius: shown.map((r) => (r.delta === c.delta ? 4 : 2)),
      tension: 0.2,
    };
  };
  return {
    type: 'line',
    data: {
      datasets: [
        line(`PRV (upper bound)${c.accountant === 'prv' ? ', used' : ''}`, '#2563eb', (r) => r.prv),
        line(`RDP${c.accountant === 'rdp' ? ', used' : ''}`, '#94a3b8', (r) => r.rdp, [4, 3]),
      ],
    },
    options: {
      parsing: false,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: { type: 'logarithmic', title: { display: true, text: 'δ' } },
        y: { title: { display: true, text: 'ε' }, min: 0 },
      },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
    },
  } as ChartSpec;
}

export class PrivacyPreview extends LitElement {
  readonly storeCtl = new StoreController(this);
  static styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        font-size: 12px;
        margin-top: 6px;
      }
      table.acct {
        margin: 4px 0;
      }
      .used {
        font-weight: 600;
      }
    `,
  ];

  /** The preview for c, or undefined while it is being computed (scheduled here). */
  private preview(c: Config): Preview | undefined {
    const key = previewKey(c);
    if (memo?.key === key) return memo;
    if (pending?.key !== key) {
      if (pending?.timer) clearTimeout(pending.timer);
      const mine: NonNullable<typeof pending> = { key, state: 'queued' };
      mine.timer = setTimeout(() => {
        mine.state = 'computing';
        mine.timer = undefined;
        this.requestUpdate();
        void requestPreview(c).then((p) => {
          // an answer for a configuration that is no longer the latest asked is dropped
          if (!p || pending !== mine) return;
          pending = undefined;
          memo = p;
          // the panel may have been re-created meanwhile (a view switch): redraw whichever shows
          if (this.isConnected) this.requestUpdate();
          else store.changed();
        });
      }, 120);
      pending = mine;
    }
    return undefined;
  }

  render() {
    const c = store.config;
    if (!isPrivate(c))
      return html`<div class="note info">
        SGD is not private: no noise, no clipping, ε = ∞. It is the baseline the private runs are compared with.
      </div>`;
    if (!store.configValid) return nothing;
    const p = this.preview(c);
    if (!p)
      return html`<div class="note info muted" data-privacy-pending=${pending?.state ?? 'queued'}>computing ε…</div>`;
    if (p.error) return html`<div class="err">${p.error}</div>`;
    if (p.sigma === undefined) return nothing;
    const row = (name: 'prv' | 'rdp', label: string, eps: number | undefined, why: string) =>
      html`<tr data-acct=${name} class=${c.accountant === name ? 'used' : ''}>
        <td>${label}</td>
        <td data-eps>${eps === undefined ? 'n/a' : `ε = ${fmtEps(eps)}`}</td>
        <td>${c.accountant === name ? 'used by the run' : why}</td>
      </tr>`;
    const calibrated = c.targetEpsilon > 0 ? ` (calibrated with ${c.accountant.toUpperCase()})` : '';
    const prvNote = p.prv === undefined ? `needs δ ≥ ${PRV_MIN_DELTA}` : 'upper bound, ε error 0.01';
    return html`<div class="note info" data-privacy data-from=${privacySource}>
        σ = <b>${fmtNum(p.sigma, 4)}</b>${calibrated}
        · after ${c.steps.toLocaleString('en-US')} steps at δ = ${fmtSci(c.delta)} (q = ${fmtNum(c.batch / c.datasetSize, 3)},
        Poisson sampling):
        <table class="num acct" data-accountants>
          ${row('prv', 'PRV', p.prv, prvNote)}
          ${row('rdp', 'RDP', p.rdp, 'Rényi DP')}
        </table>
        ${(c.accountant === 'prv' ? p.prv : p.rdp) === Infinity ? html`<div class="warn" data-no-privacy>${sentence(noPrivacyReason(p.sigma))}.</div>` : nothing}
        ${c.sampling === 'shuffle' ? html`<div class="warn" data-shuffle-warning>${sentence(SHUFFLE_WARNING)}. Choose Poisson sampling for a guarantee.</div>` : nothing}
        ${c.seed !== 'random' ? html`<div class="warn" data-seed-warning>${sentence(FIXED_SEED_WARNING)}.</div>` : nothing}
      </div>
      ${
        p.profile
          ? html`<lab-chart
              id="chart-profile"
              heading="Privacy profile ε(δ)"
              filename="privacy-profile"
              .height=${170}
              .spec=${profileSpec(p, c)}
            >
              <span slot="note" class="small muted"
                >every (ε, δ) pair on a curve holds for this run's noise after all steps (large dot: the configured δ;
                the run's ε also pays the batch-truncation δ)</span
              >
            </lab-chart>`
          : nothing
      }`;
  }
}
customElements.define('privacy-preview', PrivacyPreview);
