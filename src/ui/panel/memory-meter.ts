// What the configuration needs on the GPU (the engine's own estimate) against the memory limit
// (config.memoryLimit: WebGPU does not reveal the device's total memory), and how tables larger
// than one binding are split across buffers.

import { LitElement, css, html, nothing } from 'lit';
import { estimateMemory } from '../../engine';
import { fmtBytes } from '../format';
import { sharedStyles } from '../styles';
import { store, StoreController } from '../state/store';

export class MemoryMeter extends LitElement {
  readonly storeCtl = new StoreController(this);
  static styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        margin-top: 10px;
        font-size: 12px;
      }
      .bar {
        height: 6px;
        border-radius: 3px;
        background: var(--line);
        overflow: hidden;
        margin: 4px 0;
      }
      .bar div {
        height: 100%;
        background: var(--accent);
      }
      .bar.bad div {
        background: var(--danger);
      }
    `,
  ];

  render() {
    if (!store.limits || !store.configValid) return nothing;
    let est;
    try {
      est = estimateMemory(store.config, store.limits);
    } catch (e) {
      return html`<div class="err">Memory estimate failed: ${(e as Error).message}</div>`;
    }
    const cap = Math.min(store.limits.maxBufferSize, store.limits.maxStorageBufferBindingSize);
    const largest = est.buffers.reduce((a, b) => (b.bytes > a.bytes ? b : a), { name: '', bytes: 0 });
    const frac = Math.min(1, est.totalBytes / est.limitBytes);
    const split = est.shards.map((n, t) => [t, n]).filter(([, n]) => n > 1);
    this.setAttribute('data-fits', est.fits ? '1' : '0');
    return html`<div title="Estimated by the engine before allocating anything">
      <div class="row" style="justify-content:space-between">
        <span>GPU memory <b data-total-bytes=${est.totalBytes}>${fmtBytes(est.totalBytes)}</b> of ${fmtBytes(est.limitBytes)} (memory limit) in ${est.buffers.length} buffers</span>
        ${est.fits ? html`<span class="badge ok">fits</span>` : html`<span class="badge danger">too big</span>`}
      </div>
      <div class=${est.fits ? 'bar' : 'bar bad'}><div style="width:${(frac * 100).toFixed(1)}%"></div></div>
      <div class="muted">largest buffer ${fmtBytes(largest.bytes)} (${largest.name}) of ${fmtBytes(cap)} this device binds</div>
      ${
        split.length
          ? html`<div class="muted" data-shards=${split.map(([t, n]) => `${t}:${n}`).join(',')}>
            larger than one binding, split by rows: ${split.map(([t, n]) => `E${t} into ${n} buffers`).join(', ')}
          </div>`
          : nothing
      }
      ${est.fits && est.data.note ? html`<div class="muted" data-batch-note>${est.data.note}</div>` : nothing}
      ${est.problem ? html`<div class="err" data-memory-problem>${est.problem}</div>` : nothing}
    </div>`;
  }
}
customElements.define('memory-meter', MemoryMeter);
