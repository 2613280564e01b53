// The privacy a run will spend, before running it: sigma (calibrated when a target epsilon is
// set) and epsilon after all steps, from the same accountant the engine uses.

import { LitElement, css, html, nothing } from 'lit';
import { isPrivate, type Config } from '../config/config';
import { engine } from './engine';
import { fmtEps, fmtNum, sentence } from './format';
import { sharedStyles } from './styles';
import { SHUFFLE_WARNING } from '../privacy/sampling';
import { FIXED_SEED_WARNING, noPrivacyReason } from '../privacy/report';
import { store, StoreController } from './store';

let memo: { key: string; sigma?: number; eps?: number; error?: string } | undefined;

function preview(c: Config) {
  const key = JSON.stringify([c.algo, c.sigma, c.targetEpsilon, c.batch, c.datasetSize, c.steps, c.delta, c.sampling]);
  if (memo?.key === key) return memo;
  memo = { key };
  try {
    if (engine?.resolveSigma && engine.epsilonAfter) {
      memo.sigma = engine.resolveSigma(c);
      memo.eps = engine.epsilonAfter(c, memo.sigma, c.steps);
    }
  } catch (e) {
    memo.error = (e as Error).message;
  }
  return memo;
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
    `,
  ];
  render() {
    const c = store.config;
    if (!isPrivate(c)) return html`<div class="note info">SGD is not private: no noise, no clipping, ε = ∞. It is the baseline the private runs are compared with.</div>`;
    if (!store.configValid || !engine) return nothing;
    const p = preview(c);
    if (p.error) return html`<div class="err">${p.error}</div>`;
    if (p.sigma === undefined) return nothing;
    return html`<div class="note info" data-privacy>
      σ = <b>${fmtNum(p.sigma, 4)}</b>${c.targetEpsilon > 0 ? ' (calibrated)' : ''} · after ${c.steps.toLocaleString('en-US')} steps
      <b>ε = ${fmtEps(p.eps, 3)}</b> at δ = ${c.delta} (q = ${fmtNum(c.batch / c.datasetSize, 3)}, RDP accountant, Poisson sampling)
      ${p.eps === Infinity ? html`<div class="warn" data-no-privacy>${sentence(noPrivacyReason(p.sigma))}.</div>` : nothing}
      ${c.sampling === 'shuffle' ? html`<div class="warn" data-shuffle-warning>${sentence(SHUFFLE_WARNING)}. Choose Poisson sampling for a guarantee.</div>` : nothing}
      ${c.seed !== 'random' ? html`<div class="warn" data-seed-warning>${sentence(FIXED_SEED_WARNING)}.</div>` : nothing}
    </div>`;
  }
}
customElements.define('privacy-preview', PrivacyPreview);
