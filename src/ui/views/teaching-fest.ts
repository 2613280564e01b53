// The teaching view for the sparsity-preserving algorithms (docs/algorithms-fest.md): for the last
// step, which rows of the slice the batch touched, which of them crossed DP-AdaFEST's noisy
// threshold (or are among DP-FEST's selected rows), which untouched rows crossed and got noise
// only, and what the step costs in privacy. The rows come from the engine's festStep (the
// batch and the step's own draws; tested against the rows the GPU wrote).

import { css, html, nothing } from 'lit';
import { algorithm, type AlgoName } from '../../algorithms';
import type { Config } from '../../config/config';
import { epsilonAfter, type FestRow, type FestStep } from '../../engine';
import { epsilonQualifier } from '../../privacy/report';
import { sigmaEff } from '../../privacy/accountants';
import { fmtEps, fmtNum, fmtRows } from '../format';

/** Whether the teaching view shows this algorithm's rows as DP-FEST / DP-AdaFEST's. */
export function isFest(algo: AlgoName): boolean {
  const kind = algorithm(algo).tableNoise;
  return kind === 'adafest' || kind === 'fest';
}

/** Tiles of the slice: touched and written, touched and dropped, untouched and written (noise only). */
export const festStyles = css`
  .cell.hit {
    background: #dcfce7;
    border-color: #16a34a;
    color: #14532d;
  }
  .cell.dropped {
    border-style: dashed;
    border-color: #94a3b8;
    color: #64748b;
    text-decoration: line-through;
  }
  .cell.noise {
    background: #fef3c7;
    border-color: #d97706;
  }
  .swatch.hit,
  .swatch.dropped,
  .swatch.noise {
    border: 1px solid;
  }
  @media (prefers-color-scheme: dark) {
    .cell.hit {
      background: #14532d;
      border-color: #4ade80;
      color: #dcfce7;
    }
    .cell.dropped {
      border-color: #64748b;
      color: #94a3b8;
    }
    .cell.noise {
      background: #451a03;
      border-color: #f59e0b;
    }
  }
`;

/** A tile's kind: outside the table, touched (written or dropped), untouched (written or not). */
function kind(r: FestRow | undefined): string {
  if (!r) return 'outside';
  if (r.examples > 0) return r.updated ? 'hit' : 'dropped';
  return r.updated ? 'noise' : '';
}

/** What happened to one row, in words (the tile's title). */
function rowWords(r: FestRow, c: Config): string {
  const count =
    r.noisy !== undefined
      ? `; clipped count ${fmtNum(r.count, 3)}, noisy count ${fmtNum(r.noisy, 3)} ${r.updated ? '>' : '≤'} τ ${c.threshold}`
      : '';
  if (r.examples > 0)
    return `row ${r.row}: read by ${r.examples} example${r.examples === 1 ? '' : 's'}${count}: ${r.updated ? 'its gradient plus noise written' : 'its gradient dropped'}`;
  return `row ${r.row}: not read${r.updated ? ', written with noise only' : ', not written'}`;
}

/** The step's privacy: DP-AdaFEST's two mechanisms as one, or DP-FEST's training and selection. */
function costWords(algo: AlgoName, c: Config, sigma: number, step: number, seedFixed: boolean) {
  const q = c.batch / c.datasetSize;
  const eps = epsilonAfter({ ...c, accountant: 'rdp' }, sigma, step);
  const caveat = epsilonQualifier(c, seedFixed, eps);
  const spent = html`After ${step} step${step === 1 ? '' : 's'}: ε =
    <b data-fest-eps>${fmtEps(eps, 3)}</b> at δ = ${c.delta} (RDP accountant)${caveat ? html` <span class="warn">(${caveat})</span>` : nothing}.`;
  if (algorithm(algo).tableNoise === 'adafest') {
    const s1 = c.selectionSigma;
    return html`<p class="small" data-fest-cost>
      This step released two Gaussian mechanisms on the same Poisson sample (q = ${fmtNum(q, 3)}): the noisy row counts (σ1 = ${s1}, each
      example's map clipped to C1 = ${c.selectionClip}) and the noisy gradient of the rows that crossed (σ2 = ${fmtNum(sigma, 4)}, C2 =
      ${c.clip}). Together they are one Gaussian mechanism with σ_eff = (σ1⁻² + σ2⁻²)^(−½) =
      <b data-sigma-eff>${fmtNum(sigmaEff([s1, sigma]), 4)}</b>, less than either: choosing rows privately costs privacy too. The accountant
      composes σ_eff over the steps as it composes DP-SGD's σ. ${spent}
    </p>`;
  }
  const prior =
    c.festPrior === 'public'
      ? 'The rows were given as a public prior: nothing was released to choose them, and ε covers the training only.'
      : `Choosing them cost one Gaussian histogram before training (σ = ${c.festHistogramSigma}, each example's rows clipped to ${c.festBound}), composed into ε.`;
  return html`<p class="small" data-fest-cost>
    Each step is DP-SGD's mechanism on the selected rows (σ = ${fmtNum(sigma, 4)}, C = ${c.clip}, q = ${fmtNum(q, 3)}). ${prior} ${spent}
  </p>`;
}

/** What the view needs of the teaching run for the card. */
export interface FestCardInput {
  algo: AlgoName;
  config: Config;
  sigma: number;
  seedFixed: boolean;
  step: number;
  fest?: FestStep;
  slice: number;
}

/** a legend's sample tile: inline, where a tile is a grid cell */
const SWATCH = 'display:inline-block;width:12px;height:12px;vertical-align:middle;margin-right:4px';

/** The card: the slice's tiles, the legend, the table's counts and the step's privacy cost. */
export function festCard(x: FestCardInput) {
  const { algo, config: c, fest } = x;
  const ada = algorithm(algo).tableNoise === 'adafest';
  const byRow = Array.from({ length: x.slice }, (_, i) => fest?.rows[i]);
  const crossed = ada ? 'crossed the threshold' : 'selected';
  return html`<div class="card" id="fest-card" data-fest=${fest ? fest.touchedUpdated + fest.untouchedUpdated : ''}>
    <h2><span class="swatch" style="background:${algorithm(algo).color}"></span>${algorithm(algo).label}: rows of the last step</h2>
    <div class="grid" id="grid-fest">
      ${byRow.map((r) => html`<div class="cell ${kind(r)}" data-kind=${kind(r) || 'none'} title=${r ? rowWords(r, c) : ''}>${r && r.examples > 0 ? r.examples : ''}</div>`)}
    </div>
    <div class="legend">
      <span><span class="swatch hit cell" style=${SWATCH}></span>read, ${crossed}: gradient + noise</span>
      <span><span class="swatch dropped cell" style=${SWATCH}></span>read, not ${crossed}: gradient dropped</span>
      <span><span class="swatch noise cell" style=${SWATCH}></span>not read, ${crossed}: noise only</span>
      <span>a number: examples that read the row</span>
    </div>
    ${
      fest
        ? html`<p class="small" style="margin-top:8px" data-fest-counts>
            In the whole table (${fmtRows(fest.tableRows)} rows) the batch read <b>${fest.touched}</b> rows; <b>${fest.touchedUpdated}</b> of
            them ${crossed}, and <b>${fest.untouchedUpdated}</b> rows it did not read ${ada ? 'crossed by their noise alone' : 'are selected'}:
            <b>${fest.touchedUpdated + fest.untouchedUpdated}</b> rows written, where DP-SGD writes all ${fmtRows(fest.tableRows)}.
          </p>
          ${costWords(algo, c, x.sigma, x.step, x.seedFixed)}`
        : html`<p class="small muted">Press Step: the rows of one step appear here.</p>`
    }
  </div>`;
}
