// The page a browser without WebGPU gets: what is missing, and what to use instead.

import { LitElement, css, html, nothing } from 'lit';
import { sharedStyles } from './styles';

export class NoWebgpu extends LitElement {
  static properties = { reason: {}, detail: {} };
  declare reason: 'api' | 'adapter' | 'insecure';
  declare detail: string;
  constructor() {
    super();
    this.reason = 'api';
    this.detail = '';
  }
  static styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        max-width: 720px;
        margin: 64px auto;
        padding: 0 20px;
      }
      h1 {
        font-size: 24px;
        margin: 0 0 12px;
      }
      li {
        margin: 4px 0;
      }
      pre {
        background: #0f172a;
        color: #e2e8f0;
        padding: 10px 12px;
        border-radius: 8px;
        font-size: 12px;
        overflow: auto;
      }
    `,
  ];
  render() {
    const title =
      this.reason === 'adapter'
        ? 'WebGPU is there, but no GPU adapter is available'
        : this.reason === 'insecure'
          ? 'WebGPU needs a secure page (https or localhost)'
          : 'This browser does not offer WebGPU';
    return html`<div class="card" id="no-webgpu" data-reason=${this.reason}>
      <h1>${title}</h1>
      <p>
        The DP-SGD lab trains a recommendation model on your GPU through WebGPU, so it cannot run here.
        ${
          this.reason === 'adapter'
            ? html`The browser supports the API but found no usable GPU: it may be blocklisted, disabled in the browser's settings, or
              hardware acceleration may be off.`
            : this.reason === 'insecure'
              ? html`Browsers expose WebGPU only on secure pages: open the lab over <code>https://</code> or from <code>localhost</code>.`
              : nothing
        }
      </p>
      ${this.detail ? html`<p class="err">${this.detail}</p>` : nothing}
      <h2>Use instead</h2>
      <ul>
        <li><b>Chrome or Edge 113+</b> on Windows, macOS and ChromeOS; on Linux and Android, recent versions (or enable <code>chrome://flags/#enable-unsafe-webgpu</code>).</li>
        <li><b>Safari 26</b> on macOS, iOS and iPadOS.</li>
        <li><b>Firefox 141+</b> on Windows (other platforms: Nightly).</li>
        ${this.reason === 'adapter' ? html`<li>Check <code>chrome://gpu</code> (or <code>about:support</code>) for why the GPU is unavailable.</li>` : nothing}
        <li>Or run the same engine headless with the <b>node CLI</b> (Dawn; a GPU or SwiftShader):</li>
      </ul>
      <pre>npm install
npm run cli -- train --algo lazydp --steps 300
npm run bench</pre>
      <p class="small muted">A lab link keeps its configuration after the <code>#</code>, as <code>key=value</code> pairs with the same keys as the CLI's <code>--key value</code> flags.</p>
    </div>`;
  }
}
customElements.define('no-webgpu', NoWebgpu);
