// What the numbers were measured on: adapter, limits the lab requested, features, and how fine
// the GPU timestamps are (probed directly, not guessed from the browser's name).

import { LitElement, css, html, nothing } from 'lit';
import { fmtBytes } from '../format';
import { runner } from '../state/runner';
import { sharedStyles, viewStyles } from '../styles';
import { store, StoreController } from '../state/store';

export class DeviceView extends LitElement {
  readonly storeCtl = new StoreController(this);
  static styles = [
    sharedStyles,
    viewStyles,
    css`
      .feats {
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
      }
      .feats span {
        font-size: 11px;
        font-family: ui-monospace, monospace;
        background: var(--code-bg);
        border-radius: 4px;
        padding: 1px 6px;
      }
      .feats span.key {
        background: var(--badge-ok-bg);
      }
    `,
  ];

  render() {
    const d = store.device;
    if (!d)
      return html`<div class="card"><p class="muted">${store.deviceState === 'pending' ? 'Requesting a WebGPU device…' : 'No device.'}</p></div>`;
    const p = store.tsProbe;
    const ua = navigator.userAgent;
    return html`
      <div class="grid2">
        <div class="card" id="device-card">
          <h2>Adapter</h2>
          <table class="num">
            <tr><td>vendor</td><td data-vendor>${d.vendor || '–'}</td></tr>
            <tr><td>architecture</td><td>${d.architecture || '–'}</td></tr>
            <tr><td>description</td><td>${d.description || '–'}</td></tr>
            <tr><td>state</td><td>${store.deviceState}</td></tr>
            <tr><td>browser</td><td style="max-width:340px;white-space:normal;overflow-wrap:anywhere;font-size:11px">${ua}</td></tr>
          </table>
          ${store.deviceState === 'lost' ? html`<p style="margin-top:8px"><button class="primary" @click=${() => runner.connect()}>Reconnect</button></p>` : nothing}
        </div>
        <div class="card">
          <h2>Timing</h2>
          ${this.timing(p, d.timestamps)}
          <h2 style="margin-top:12px">Subgroups</h2>
          <p>${d.subgroups ? html`<span class="badge ok">available</span>` : html`<span class="badge">not available</span>`}</p>
        </div>
        <div class="card">
          <h2>Limits requested</h2>
          <div class="scroll" tabindex="0" role="group" aria-label="Limits table"><table class="num" id="limits">
            ${Object.entries(d.limits).map(([k, v]) => html`<tr><td>${k}</td><td>${/Size$/.test(k) && v >= 1024 ? `${fmtBytes(v)} (${v.toLocaleString('en-US')})` : v.toLocaleString('en-US')}</td></tr>`)}
          </table></div>
        </div>
        <div class="card">
          <h2>Features</h2>
          <p class="small muted">Of the adapter's features, the lab enables the highlighted ones on its device.</p>
          <div class="feats" id="features">
            ${[...new Set([...(runner.adapter ? [...runner.adapter.features].map(String) : []), ...d.features])]
              .sort()
              .map((f) => html`<span class=${d.features.includes(f) ? 'key' : ''}>${f}</span>`)}
          </div>
        </div>
      </div>
    `;
  }

  private timing(p: typeof store.tsProbe, timestamps: boolean) {
    if (!timestamps)
      return html`<p><span class="badge warn">CPU timing</span> no <code>timestamp-query</code>: stage times come from the CPU (coarse).</p>`;
    if (!p) return html`<p class="muted">Probing timestamp resolution…</p>`;
    if (p.error) return html`<p class="err">Timestamp probe failed: ${p.error}</p>`;
    const q = p.quantumNs ?? 1;
    const spans = (p.spansNs ?? []).map((s) => (s / 1000).toFixed(1)).join(', ');
    return html`<p data-ts-quantum=${q}>
        ${
          q >= 100_000
            ? html`<span class="badge warn">quantized to ${q / 1000} µs</span> Chrome rounds timestamps (a side-channel defence). Enable
              <code>chrome://flags/#enable-webgpu-developer-features</code> for full resolution.`
            : q > 1
              ? html`<span class="badge ok">GPU timestamps</span> in steps of ${q >= 1000 ? `${q / 1000} µs` : `${q} ns`}: fine enough for per-stage medians.`
              : html`<span class="badge ok">GPU timestamps</span> not quantized: full resolution.`
        }
      </p>
      <p class="small muted">probe passes measured ${spans} µs</p>`;
  }
}
customElements.define('device-view', DeviceView);
