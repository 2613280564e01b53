// The Data choice at the top of the panel's Data group: the synthetic task (default) or a Criteo
// TSV file read here, in the browser (a file input, or a file dropped on it). A file that parses
// sets 26 tables, 13 dense features, pooling 1 and the split through the store, so the fields
// show them; a file that does not says why (the line and the field) and changes nothing. The file
// is parsed in a Web Worker (src/ui/workers/data-source.ts): the page keeps answering, and shows how many
// lines are parsed; data-parsed-in on the element says where the loaded file was parsed.

import { LitElement, css, html, nothing } from 'lit';
import {
  readCriteo,
  type CriteoSource,
  type FileLike,
  type LoadedCriteo,
  type ParseProgress,
} from '../workers/data-source';
import { isPrivate } from '../../config/config';
import { fmtBytes } from '../format';
import { sharedStyles } from '../styles';
import { store, StoreController } from '../state/store';

export class DataPicker extends LitElement {
  static properties = { picking: { state: true }, dragging: { state: true }, progress: { state: true } };
  /** "Criteo TSV file…" chosen but no file parsed yet: the lab still trains on the previous data */
  declare picking: boolean;
  declare dragging: boolean;
  /** how far the file being read is (from the worker); undefined before its first report */
  declare progress: ParseProgress | undefined;
  readonly storeCtl = new StoreController(this);

  constructor() {
    super();
    this.picking = false;
    this.dragging = false;
    this.progress = undefined;
  }

  static styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        margin: 6px 0 8px;
      }
      .head {
        display: grid;
        grid-template-columns: 118px 1fr;
        gap: 8px;
        align-items: center;
      }
      .head label {
        font-size: 12px;
        color: var(--fg2);
      }
      select {
        width: 100%;
      }
      .drop {
        display: block;
        margin-top: 6px;
        border: 1px dashed #94a3b8;
        border-radius: 6px;
        padding: 8px;
        font-size: 12px;
        color: var(--muted);
        background: var(--bg);
      }
      .drop.over {
        border-color: var(--accent);
        background: var(--accent-weak);
      }
      .drop input {
        width: 100%;
        font-size: 12px;
      }
      .summary {
        margin-top: 6px;
        font-size: 12px;
        color: #14532d;
        background: #f0fdf4;
        border: 1px solid #bbf7d0;
        border-radius: 6px;
        padding: 6px 8px;
      }
      .summary b {
        font-weight: 600;
      }
      .hint {
        font-size: 11px;
        color: var(--muted);
        margin-top: 4px;
      }
      p.note,
      p.err {
        margin: 6px 0 0;
        font-size: 12px;
      }
    `,
  ];

  protected updated(): void {
    this.setAttribute('data-source', store.dataSource);
    if (store.criteo) this.setAttribute('data-parsed-in', store.criteo.parsedIn);
    else this.removeAttribute('data-parsed-in');
  }

  render() {
    const criteo = store.criteo;
    const active = store.dataSource === 'criteo' && !!criteo;
    const choice = active || this.picking ? 'criteo' : 'synthetic';
    return html`
      <div class="head" title="Where the training examples come from">
        <label for="data-source">data</label>
        <select id="data-source" name="dataSource" .value=${choice} @change=${this.choose}>
          <option value="synthetic" ?selected=${choice === 'synthetic'}>Synthetic (planted teacher)</option>
          <option value="criteo" ?selected=${choice === 'criteo'}>Criteo TSV file…</option>
        </select>
      </div>
      ${
        choice === 'criteo'
          ? html`<label
            class="drop ${this.dragging ? 'over' : ''}"
            id="data-drop"
            @dragover=${this.dragOver}
            @dragleave=${() => (this.dragging = false)}
            @drop=${this.drop}
          >
            <input id="data-file" type="file" accept=".tsv,.txt,.csv,text/tab-separated-values,text/plain" @change=${this.pick} />
            <div class="hint">
              ${active ? 'Load another file, or drop one here.' : 'Choose a file, or drop one here.'} Criteo click-log lines: label, 13 integers, 26 hex
              categories, tab-separated (up to 512 MiB; read here, never uploaded).
            </div>
          </label>`
          : nothing
      }
      ${
        this.picking && !active && !store.dataLoading
          ? html`<p class="hint">No file loaded yet: runs use the synthetic task until one parses.</p>`
          : nothing
      }
      ${store.dataLoading ? this.renderLoading(store.dataLoading) : nothing}
      ${
        active
          ? html`<div class="summary" data-criteo-summary>
            Criteo: <b>${criteo.split(store.config.evalSize).train.toLocaleString('en-US')}</b> training /
            <b>${criteo.split(store.config.evalSize).eval.toLocaleString('en-US')}</b> held-out examples from <b>${criteo.name}</b>
            <span class="muted">(${fmtBytes(criteo.bytes)})</span>
            <div class="hint">
              Each category is hashed into its table (26 tables, one per categorical feature; 13 dense features; one index per bag). A new
              table size re-hashes the file at the next run. No planted teacher here: AUC has no known ceiling. The file is not part of a
              shared link.
            </div>
          </div>`
          : nothing
      }
      ${
        active && isPrivate(store.config) && store.config.seed !== 'random'
          ? html`<p class="note" data-file-seed-warning>
            The noise seed is fixed (${store.config.seed}${store.shared ? ', perhaps from the link that opened this page' : ''}): anyone who knows it can
            recompute the noise and remove it from a model trained on this file. Untick "fixed" at noise seed for a private run.
          </p>`
          : nothing
      }
      ${store.dataNote ? html`<p class="note" data-data-note>${store.dataNote}</p>` : nothing}
      ${
        store.dataError
          ? html`<p class="err" role="alert" data-data-error>
            ${store.dataError}
            <br /><span class="muted">Nothing changed: runs still use ${active ? `the Criteo file ${criteo.name}` : 'the synthetic task'}.</span>
          </p>`
          : nothing
      }
    `;
  }

  private renderLoading(name: string) {
    const p = this.progress;
    const parsing = p?.stage === 'parsing';
    return html`<p class="note info" data-data-loading>
      ${parsing ? 'Parsing' : 'Reading'} ${name}…
      ${
        parsing
          ? html`<span data-parse-lines=${p.lines} data-parse-total=${p.total}
            >${p.lines.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} lines</span
          >`
          : nothing
      }
    </p>`;
  }

  private choose = async (e: Event) => {
    const v = (e.target as HTMLSelectElement).value;
    if (v === 'synthetic') {
      this.picking = false;
      store.useSynthetic();
      return;
    }
    this.picking = true;
    // a file kept from before (the lab went back to synthetic): apply it again, re-hashed
    const kept = store.criteo;
    if (kept && store.dataSource !== 'criteo') await this.reuse(kept);
  };

  private pick = (e: Event) => {
    const input = e.target as HTMLInputElement;
    const f = input.files?.[0];
    if (f) void this.load(f).finally(() => (input.value = '')); // the same file may be chosen again
  };

  private dragOver = (e: DragEvent) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    this.dragging = true;
  };

  private drop = (e: DragEvent) => {
    e.preventDefault();
    this.dragging = false;
    const f = e.dataTransfer?.files[0];
    if (f) void this.load(f);
  };

  /** Reads and parses `file`; the configuration changes only when the whole file parsed. */
  load(file: FileLike): Promise<void> {
    return this.apply(file.name, (onProgress) => readCriteo(file, store.config, onProgress));
  }

  /** The kept file again, hashed into the configuration's tables (its text is still held). */
  private reuse(kept: CriteoSource): Promise<void> {
    return this.apply(kept.name, (onProgress) => kept.load(store.config, onProgress));
  }

  private async apply(
    name: string,
    parse: (onProgress: (p: ParseProgress) => void) => Promise<LoadedCriteo>,
  ): Promise<void> {
    store.dataLoading = name;
    store.dataError = undefined;
    this.progress = undefined;
    store.changed();
    try {
      const loaded = await parse((p) => (this.progress = p));
      const previous = store.criteo;
      store.useCriteo(loaded);
      // the file this one replaces: its text (held by its worker) is let go
      if (previous && previous !== loaded.source) previous.release();
      this.picking = false;
    } catch (e) {
      store.setDataError(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.progress = undefined;
    }
  }
}
customElements.define('data-picker', DataPicker);
