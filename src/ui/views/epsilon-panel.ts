// "What do ε and δ mean?": the plain-language panel under the training charts, with the numbers
// of this configuration.
import { html } from 'lit';
import { fmtNum } from '../format';
import { store } from '../state/store';
import { DEFAULT_CONFIG as D } from '../../config/config';

/**
 * After seeing the model, how sure can someone be that one example was in the data (prior 10%)?
 * Near certainty keeps two decimals, rounded up as a bound is, but never to 100%.
 */
export function posterior(eps: number, prior = 0.1): string {
  const odds = (prior / (1 - prior)) * Math.exp(eps);
  const pct = (100 * odds) / (1 + odds);
  return pct >= 99.5 && pct < 100 ? `${Math.min(99.99, Math.ceil(pct * 100) / 100).toFixed(2)}%` : `${fmtNum(pct, 3)}%`;
}

/** Plain-language ε and δ, with the numbers of this configuration. */
export function epsilonPanel() {
  const n = store.config.datasetSize;
  const delta = store.config.delta;
  const c = store.config;
  return html`<details class="card explain-eps" data-eps-panel>
    <summary><h2 style="display:inline">What do ε and δ mean?</h2></summary>
    <div class="explain" style="margin-top:8px">
      <p>
        Differential privacy promises that the trained model would look almost the same had any one training example been left out. ε says how
        much "almost": whatever anyone does with the model, each outcome is at most e<sup>ε</sup> times more (or less) likely with that example
        than without it. Someone who thought there was a 10% chance that your record was in the data can, after studying the model, be at most:
      </p>
      <ul>
        <li><b>ε = 1</b> (e<sup>1</sup> ≈ 2.7): ${posterior(1)} sure. Strong protection.</li>
        <li><b>ε = 4</b> (e<sup>4</sup> ≈ 55): ${posterior(4)} sure. Moderate; typical of private deep learning.</li>
        <li><b>ε = 10</b> (e<sup>10</sup> ≈ 22,000): ${posterior(10)} sure. The bound alone promises little; real attacks usually do far
          worse than it allows, but that is no longer a guarantee.</li>
      </ul>
      <p>
        <b>δ</b> is the probability that the promise fails outright. With n people, δ = 1/n would allow a method that publishes each record in
        full with probability δ (on average one person's record), so δ must be far below 1/n. Here n = ${n.toLocaleString('en-US')} training examples, 1/n =
        ${fmtNum(1 / n, 2)}, and δ = ${delta}${delta >= 1 / n ? html` <span class="badge danger" data-delta-too-big>not below 1/n</span>` : ''}.
      </p>
      <p>
        In practice: papers on private training report ε from about 1 to 10 at δ = 10<sup>−5</sup> or below (Abadi et al. report ε = 0.5, 2
        and 8 at δ = 10<sup>−5</sup> on MNIST). ε here is per training example: a person with k examples in the data is protected by
        roughly k·ε. ε grows with the steps trained, the sampling rate (batch / n) and a smaller noise σ; the ε chart above shows it grow.
      </p>
      <p data-eps-default>
        The lab's default private run (σ = ${D.sigma}, batch ${D.batch} of n = ${D.datasetSize.toLocaleString('en-US')}, ${D.steps} steps, C = ${D.clip}) spends ε ≈ 0.83 at
        δ = 10<sup>−5</sup> with the PRV accountant: strong protection, at the low end of what papers report, and on this task it learns nearly
        as well as the non-private baseline (held-out AUC within 0.03; the measurements are in docs/frontier.md).
      </p>
      <p data-eps-batches>
        <b>Why private runs want larger batches and another learning rate.</b> Each step adds noise of standard deviation σ·C to the
        <i>sum</i> of the batch's clipped gradients, and the update divides that sum by the batch size B: the noise in the average
        gradient is σ·C/B, so a batch ${c.batch > 0 ? `four times larger (${4 * c.batch})` : 'four times larger'} quarters it, while ε
        grows only slowly with the sampling rate B/n when the steps are fewer. Clipping caps every example's gradient at C: set C too low
        and clipping, not noise, slows learning (here C = 1 held private runs at a loss near 0.71, C = 5 did not); set it too high and the
        noise σ·C grows with it. The learning rate then trades progress per step against the noise each step writes into the model
        (lr·σ·C/B per value), so it is tuned with B and C, not copied from the non-private run. "Privacy vs utility" (the CLI's
        <code>frontier</code>) measures the trade.
      </p>
      <p>
        Papers: <a href="https://arxiv.org/abs/1607.00133" target="_blank" rel="noopener">Abadi et al., Deep Learning with Differential Privacy
        (CCS 2016, arXiv 1607.00133)</a>, which introduced DP-SGD and the moments accountant; <a href="https://arxiv.org/abs/2404.08847"
        target="_blank" rel="noopener">Lim et al., LazyDP (ASPLOS 2024, arXiv 2404.08847)</a>, which defers the noise of embedding rows no
        batch reads.
      </p>
    </div>
  </details>`;
}
