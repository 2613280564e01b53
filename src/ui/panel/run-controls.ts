// Train / pause / step / stop / reset and the progress of the main run. The host element carries
// data-status (and data-steps) so tests and slides can wait on real state, not on time.

import { LitElement, css, html, nothing } from 'lit';
import { isPrivate } from '../../config/config';
import { SHUFFLE_WARNING } from '../../privacy/sampling';
import { fmtDuration, fmtEps, fmtNum } from '../format';
import { privacyProblem, runner } from '../state/runner';
import { ALGO_COLORS, ALGO_LABELS, sharedStyles } from '../styles';
import { store, StoreController } from '../state/store';

export class RunControls extends LitElement {
  readonly storeCtl = new StoreController(this);

  static styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      .bar {
        display: flex;
        gap: 6px;
        align-items: center;
        flex-wrap: wrap;
      }
      button[aria-disabled='true'] {
        opacity: 0.45;
        cursor: default;
      }
      button[aria-disabled='true']:hover {
        border-color: var(--line);
      }
      button.primary[aria-disabled='true']:hover {
        background: var(--accent);
        border-color: var(--accent);
      }
      .progress {
        flex: 1;
        min-width: 220px;
        display: grid;
        gap: 3px;
      }
      .track {
        height: 8px;
        border-radius: 4px;
        background: var(--line);
        overflow: hidden;
      }
      .fill {
        height: 100%;
        background: var(--c, var(--accent));
      }
      .stats {
        display: flex;
        gap: 14px;
        font-size: calc(12px * var(--font-scale, 1));
        color: var(--muted);
        font-variant-numeric: tabular-nums;
        flex-wrap: wrap;
      }
      .stats b {
        color: var(--fg);
        font-weight: 600;
      }
      .status {
        font-size: calc(11px * var(--font-scale, 1));
        font-weight: 600;
        text-transform: uppercase;
        letter-spacing: 0.05em;
      }
    `,
  ];

  protected updated(): void {
    this.setAttribute('data-status', store.status);
    this.setAttribute('data-steps', String(store.current?.stepsDone ?? 0));
  }

  /**
   * A run button. Unavailable buttons are aria-disabled rather than disabled: a disabled button
   * loses focus (to the page body), so pausing or stepping by keyboard would need Tabs after
   * every press; an aria-disabled one keeps it and ignores presses until it is available again.
   */
  private ctl(id: string, off: boolean, act: () => unknown, title: string, label: string, cls = '') {
    const press = () => {
      if (!off) void act();
    };
    return html`<button id=${id} class=${cls} aria-disabled=${off ? 'true' : 'false'} @click=${press} title=${title}>${label}</button>`;
  }

  /** The skip link's target: Train (focusable even while it cannot be pressed). */
  focusFirst(): void {
    this.renderRoot.querySelector<HTMLElement>('#train')?.focus();
  }

  render() {
    const s = store.status;
    const otherJob = store.job !== null && store.job !== 'train';
    const busy = s === 'starting' || s === 'running' || s === 'pausing';
    const fit = runner.fits();
    const resumable = s === 'paused' && !!store.current;
    const privacy = store.configValid && !resumable ? privacyProblem(store.config) : undefined;
    const canTrain = store.free && (fit.fits || resumable) && !privacy;
    const cur = store.current;
    const done = cur?.stepsDone ?? 0;
    const total = cur?.target ?? store.config.steps;
    const last = cur?.log.at(-1);
    const sps = last?.stepsPerSec;
    const left = sps && busy ? (total - done) / sps : NaN;
    const resume = s === 'paused' && cur;
    const algo = cur?.algo ?? store.config.algo;
    return html`<div class="bar">
        ${this.ctl('train', !canTrain, () => runner.train(), resume ? 'Continue the paused run' : 'Start a run with this configuration', resume ? '▶ Resume' : '▶ Train', 'primary')}
        ${this.ctl('pause', s !== 'running', () => runner.pause(), 'Pause at the next step boundary', '❚❚ Pause')}
        ${this.ctl('step', !canTrain, () => runner.stepOnce(), 'Run exactly one step', 'Step')}
        ${this.ctl('stop', !(s === 'running' || s === 'paused'), () => runner.stop(), 'End this run, keep its results', '■ Stop')}
        ${this.ctl('reset', !cur && s === 'idle', () => runner.reset(), 'Discard the current run', '↺ Reset')}
        <div class="progress" style="--c:${ALGO_COLORS[algo]}">
          <div class="stats">
            ${
              otherJob
                ? // a comparison, sweep or download runs now: say that, not the main run's "done"
                  html`<span class="status" role="status" data-status-job=${store.job!}>${store.job === 'compare' ? 'training' : store.job} · ${store.jobText || '…'}</span>`
                : html`<span class="status" role="status"><span class="swatch" style="background:${ALGO_COLORS[algo]}"></span>${ALGO_LABELS[algo]} · ${s}</span>`
            }
            <span>step <b id="step-count">${done}</b> / ${total}</span>
            ${sps ? html`<span><b>${fmtNum(sps, 3)}</b> steps/s</span>` : nothing}
            ${busy && Number.isFinite(left) ? html`<span><b>${fmtDuration(left)}</b> left</span>` : nothing}
            ${last?.epsilon !== undefined ? html`<span>ε <b>${fmtEps(last.epsilon, 3)}</b></span>` : nothing}
            ${last?.epsilon === Infinity ? html`<span class="badge warn" data-no-privacy title="σ adds no effective noise">ε = ∞, no privacy</span>` : nothing}
            ${cur && isPrivate(cur.config) && cur.log[0] && Number.isNaN(cur.log[0].stepsPerSec) ? html`<span class="badge" data-resumed-eps title="The file's steps, σ and sampling rate come from its metadata (checked against its tensors and configuration); ε rests on them">ε includes the opened file's ${cur.log[0].step} steps, as its metadata states</span>` : nothing}
            ${cur?.seedFixed ? html`<span class="badge warn">fixed seed: reproducible, not private</span>` : nothing}
            ${cur && cur.config.sampling === 'shuffle' && isPrivate(cur.config) ? html`<span class="badge warn" data-eps-caveat title=${SHUFFLE_WARNING}>shuffle sampling: ε is not a guarantee</span>` : nothing}
          </div>
          <div class="track" role="progressbar" aria-label="Training progress" aria-valuetext=${`step ${done} of ${total}`} aria-valuemin="0" aria-valuemax=${total} aria-valuenow=${done}>
            <div class="fill" style="width:${total ? (100 * done) / total : 0}%"></div>
          </div>
        </div>
      </div>
      ${s === 'paused' && runner.staleConfig ? html`<p class="note" style="margin-top:8px">The configuration or the data changed since this run started: Resume continues the old run; Reset, then Train, to use the new one.</p>` : nothing}
      ${otherJob ? html`<p class="note info" style="margin-top:8px" data-job=${store.job!}>${store.jobText || store.job + '…'} <button class="ghost" @click=${() => runner.cancelJob()}>Cancel</button></p>` : nothing}
      ${!store.configValid ? html`<p class="err" style="margin-top:6px">Fix the highlighted configuration fields to train.</p>` : nothing}
      ${privacy ? html`<p class="err" style="margin-top:6px" data-privacy-problem>Cannot train: ${privacy}</p>` : nothing}
      ${
        store.configValid && !fit.fits && !resumable
          ? html`<p class="err" style="margin-top:6px" data-too-big>Too big for this device: ${fit.problem}</p>`
          : nothing
      }`;
  }
}
customElements.define('run-controls', RunControls);
