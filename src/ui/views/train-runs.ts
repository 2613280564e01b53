// Parts of the training view (train-view.ts) that need none of its state: the paragraph above the
// charts, the AUC chart's reference lines, the table of runs on this configuration and the line
// under a loaded run in the run list.

import { html, nothing } from 'lit';
import type { ChartDataset } from 'chart.js';
import { isPrivate } from '../../config/config';
import { SHUFFLE_WARNING } from '../../privacy/sampling';
import { epsilonQualifier, FIXED_SEED_WARNING } from '../../privacy/report';
import { fmtEps, fmtMs, fmtNum, sentence } from '../format';
import { ALGO_COLORS, ALGO_LABELS } from '../styles';
import { store, type RunRecord } from '../state/store';
import { claimNote, recomputedEpsilon } from '../state/results-import';

/** What the training charts show, in a paragraph above them. */
export function intro() {
  return html`<p class="explain">
    Loss and held-out AUC of every algorithm run on this configuration. Private runs clip each example's gradient and add Gaussian
    noise, so they learn more slowly than the non-private baseline; LazyDP and eager DP-SGD draw noise of the same distribution, so
    their curves should agree up to noise. ε is the privacy spent so far by the trained weights (${store.config.accountant.toUpperCase()}
    accountant, which assumes Poisson sampling); the training loss is computed from the training data without noise and is not covered by it.
  </p>`;
}

/** A horizontal reference line across the runs' steps. */
function hline(label: string, y: number, maxStep: number, dash: number[]): ChartDataset<'line'> {
  return {
    label,
    data: [
      { x: 0, y },
      { x: maxStep, y },
    ],
    borderColor: '#94a3b8',
    borderDash: dash,
    borderWidth: 1,
    pointRadius: 0,
  };
}

/**
 * The AUC chart's reference lines: the planted teacher's AUC, and chance (0.5, a coin toss; the
 * axis is kept at 0.4-1 so that noise around it is not magnified).
 */
export function refLines(runs: RunRecord[], teacher: number | undefined): ChartDataset<'line'>[] {
  const maxStep = Math.max(1, ...runs.map((r) => r.log.at(-1)?.step ?? 0));
  const hasAuc = runs.some((r) => r.log.some((p) => p.auc !== undefined));
  return [
    ...(teacher ? [hline('planted teacher', teacher, maxStep, [5, 4])] : []),
    ...(hasAuc ? [hline('chance (0.5)', 0.5, maxStep, [2, 3])] : []),
  ];
}

/** One run's row of the runs table. */
function runRow(r: RunRecord) {
  const last = r.log.at(-1);
  const auc = [...r.log].reverse().find((p) => p.auc !== undefined)?.auc;
  const q = epsilonQualifier(r.config, r.seedFixed, last?.epsilon);
  return html`<tr data-algo=${r.algo} data-steps=${r.stepsDone} data-done=${r.summary ? '1' : '0'}>
    <td><span class="swatch" style="background:${ALGO_COLORS[r.algo]}"></span>${ALGO_LABELS[r.algo]}${r.seedFixed ? html` <span class="badge warn" title="fixed seed">not private</span>` : nothing}</td>
    <td>${r.stepsDone}</td>
    <td>${fmtNum(last?.loss, 4)}</td>
    <td>${fmtNum(auc, 4)}</td>
    <td title=${q ?? nothing} data-eps=${fmtEps(last?.epsilon, 3)}>${isPrivate(r.config) ? fmtEps(last?.epsilon, 3) : '∞'}${q ? html`<sup class="warn" data-eps-caveat>*</sup>` : nothing}</td>
    <td>${isPrivate(r.config) ? fmtNum(r.summary?.sigma ?? r.config.sigma, 4) : '–'}</td>
    <td>${fmtMs(r.summary?.stepMedianMs)}</td>
  </tr>`;
}

/** The notes under the runs table: the teacher's ceiling, real data, and what ε does not promise. */
function runsNotes(runs: RunRecord[], teacher: number | undefined) {
  return html`${teacher ? html`<p class="small muted" style="margin-top:8px">The planted teacher that labels the synthetic data reaches AUC ${fmtNum(teacher, 3)}: the best any model can do here.</p>` : nothing}
    ${
      runs.some((r) => r.data !== 'synthetic')
        ? html`<p class="small muted" style="margin-top:8px" data-no-teacher>
          Trained on the Criteo file ${store.criteo?.name ?? ''}: real clicks, no planted teacher, so AUC has no known ceiling here.
        </p>`
        : nothing
    }
    ${runs.some((r) => isPrivate(r.config) && r.config.sampling === 'shuffle') ? html`<p class="note" data-shuffle-note>* ${sentence(SHUFFLE_WARNING)}.</p>` : nothing}
    ${runs.some((r) => isPrivate(r.config) && r.seedFixed) ? html`<p class="note">* ${sentence(FIXED_SEED_WARNING)}.</p>` : nothing}
    ${
      runs.some((r) => (r.summary?.overflowBatches ?? 0) > 0)
        ? html`<p class="note">Some Poisson batches drew more examples than the padded maximum and were truncated (counted in the accountant's δ).</p>`
        : nothing
    }`;
}

/** The runs on this configuration, one row each, with the notes they need. */
export function runsCard(runs: RunRecord[], teacher: number | undefined) {
  return html`<div class="card">
    <h2>Runs on this configuration</h2>
    ${
      runs.length
        ? html`<div class="scroll" tabindex="0" role="group" aria-label="Runs table"><table class="num" id="runs-table">
            <tr><th>algorithm</th><th>steps</th><th>loss</th><th>AUC</th><th>ε</th><th>σ</th><th>step (median)</th></tr>
            ${runs.map(runRow)}
          </table></div>
          ${runsNotes(runs, teacher)}`
        : html`<p class="muted small">None yet.</p>`
    }
  </div>`;
}

/** The lab's own epsilon for an imported run, in words (never the file's). */
function importedEps(r: RunRecord, eps: number | undefined): string {
  if (!isPrivate(r.config)) return 'ε = ∞ (not private)';
  if (eps !== undefined) return `ε ${fmtEps(eps, 3)} (recomputed here)`;
  return r.recomputed?.error ? 'ε could not be recomputed' : 'ε: recomputing…';
}

/** An imported run in the run list: marked as such, with the lab's own epsilon and the file's claim beside it. */
export function importedLine(r: RunRecord) {
  const eps = recomputedEpsilon(r);
  const qualifier = isPrivate(r.config) ? epsilonQualifier(r.config, r.seedFixed, eps) : undefined;
  const claim = claimNote(r);
  return html`<div class="small" style="margin-left:24px">
    <span class="badge warn" data-imported-badge title="trained elsewhere; loaded from a results file">imported</span>
    ${r.importedDevice ? html`<span class="muted" data-imported-device>measured on ${r.importedDevice} ·</span>` : nothing}
    <span data-recomputed-eps=${eps === undefined ? '' : fmtEps(eps, 3)}>${importedEps(r, eps)}</span
    >${qualifier ? html` · <span class="warn" data-not-guaranteed>${qualifier}</span>` : nothing}${claim ? html` · <span class="warn" data-claim>${claim}</span>` : nothing}
  </div>`;
}
