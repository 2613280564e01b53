// Embedding tables as a count plus rows per table on a log2 slider: table sizes span 16 rows
// to 2^31, and what matters for DP-SGD's cost is their order of magnitude. An exact number can
// still be typed next to each slider.

import { LitElement, css, html, nothing } from 'lit';
import { SCHEMA } from '../../config/config';
import { fmtRows, parseCount } from '../format';
import { sharedStyles } from '../styles';
import { store, StoreController } from '../state/store';

const MAX_TABLES = SCHEMA.tables.maxLen ?? 64;
const MAX_LOG2 = Math.log2(SCHEMA.tables.max ?? 2 ** 31);
/** slider positions: quarter powers of two, snapped to a whole power when close */
function rowsAt(pos: number): number {
  return Math.max(1, Math.round(2 ** pos));
}

export class TablesEditor extends LitElement {
  static properties = { raw: { state: true } };
  declare raw: Record<number, string>;
  readonly storeCtl = new StoreController(this);
  private lastTables?: number[];

  constructor() {
    super();
    this.raw = {};
  }

  static styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        margin: 6px 0;
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
      .list {
        max-height: 260px;
        overflow: auto;
        margin-top: 4px;
        padding-right: 2px;
      }
      .t {
        display: grid;
        grid-template-columns: 30px minmax(0, 1fr) calc(11ch + 14px);
        gap: 6px;
        align-items: center;
        margin: 2px 0;
      }
      .t span {
        font-size: 11px;
        color: var(--muted);
        font-variant-numeric: tabular-nums;
      }
      input[type='range'] {
        width: 100%;
        accent-color: var(--accent);
      }
      input[type='text'] {
        width: 100%;
        text-align: right;
        font-variant-numeric: tabular-nums;
      }
      .total {
        font-size: 11px;
        color: var(--muted);
        margin-top: 2px;
      }
      .t.all span {
        font-weight: 600;
        color: var(--fg2);
      }
    `,
  ];

  protected willUpdate(): void {
    if (this.lastTables && store.config.tables !== this.lastTables && !store.fieldErrors.tables) this.raw = {};
    this.lastTables = store.config.tables;
  }

  render() {
    const tables = store.config.tables;
    const total = tables.reduce((a, b) => a + b, 0);
    const err =
      store.fieldErrors.tables ?? (store.consistency?.key === 'tables' ? store.consistency.message : undefined);
    return html`
      <div class="head" title=${SCHEMA.tables.help}>
        <label for="f-tables-count">tables</label>
        <input id="f-tables-count" name="tablesCount" type="number" min="1" max=${MAX_TABLES} .value=${String(tables.length)} @change=${this.setCount} />
      </div>
      <div class="list">
        ${
          tables.length > 1
            ? html`<div class="t all" title="set every table at once">
              <span>all</span>
              <input type="range" min="0" max=${MAX_LOG2} step="0.25" .value=${String(Math.log2(Math.max(...tables)))} @input=${this.setAll} aria-label="rows of every table (log scale)" />
              <span></span>
            </div>`
            : nothing
        }
        ${tables.map(
          (r, i) => html`<div class="t">
            <span>E${i}</span>
            <input type="range" min="0" max=${MAX_LOG2} step="0.25" .value=${String(Math.log2(r))} @input=${(e: Event) => this.setRows(i, rowsAt(+(e.target as HTMLInputElement).value))} aria-label=${`rows of table ${i} (log scale)`} />
            <input
              type="text"
              inputmode="numeric"
              name=${`table${i}`}
              aria-label=${`rows of table ${i}`}
              title=${fmtRows(r) + ' rows (type 1048576, 1e6, 2^20 or 1Mi)'}
              class=${this.raw[i] !== undefined && Number.isNaN(parseCount(this.raw[i])) ? 'bad' : ''}
              .value=${this.raw[i] ?? String(r)}
              @input=${(e: Event) => this.typeRows(i, (e.target as HTMLInputElement).value)}
              @blur=${() => this.blurRow(i)}
            />
          </div>`,
        )}
      </div>
      <div class="total">${tables.length} table${tables.length > 1 ? 's' : ''}, ${fmtRows(total)} rows in all${fmtRows(total) === total.toLocaleString('en-US') ? '' : ` (${total.toLocaleString('en-US')})`}</div>
      ${
        store.dataSource === 'criteo'
          ? html`<div class="total" data-criteo-tables>Criteo: one table per categorical feature (26); a new size re-hashes the file at the next run, another count goes back to the synthetic task.</div>`
          : nothing
      }
      ${err ? html`<div class="err" data-error-for="tables">${err}</div>` : nothing}
    `;
  }

  private apply(tables: number[]) {
    const bad = tables.find(
      (r) => !Number.isInteger(r) || r < (SCHEMA.tables.min ?? 1) || r > (SCHEMA.tables.max ?? 2 ** 31),
    );
    if (bad !== undefined)
      store.setFieldError(
        'tables',
        `each table needs 1 to ${(SCHEMA.tables.max ?? 2 ** 31).toLocaleString('en-US')} rows, got ${bad}`,
      );
    else store.setConfig('tables', tables);
  }

  private setCount = (e: Event) => {
    const n = Math.round(+(e.target as HTMLInputElement).value);
    if (!Number.isFinite(n) || n < 1 || n > MAX_TABLES) {
      store.setFieldError('tables', `between 1 and ${MAX_TABLES} tables`);
      return;
    }
    const t = store.config.tables;
    // new tables copy the last one's size: growing a model keeps its shape
    this.apply(Array.from({ length: n }, (_, i) => t[Math.min(i, t.length - 1)]));
  };

  private setAll = (e: Event) => {
    const r = rowsAt(+(e.target as HTMLInputElement).value);
    this.raw = {};
    this.apply(store.config.tables.map(() => r));
  };

  private setRows(i: number, r: number) {
    const { [i]: _gone, ...rest } = this.raw;
    void _gone;
    this.raw = rest;
    this.apply(store.config.tables.map((x, j) => (j === i ? r : x)));
  }

  private typeRows(i: number, text: string) {
    this.raw = { ...this.raw, [i]: text };
    const n = parseCount(text);
    if (!Number.isFinite(n)) {
      store.setFieldError(
        'tables',
        `table ${i}: expected a whole number of rows (e.g. 1048576, 1e6, 2^20, 1Mi), got ${JSON.stringify(text.slice(0, 20))}`,
      );
      return;
    }
    const tables = store.config.tables.map((x, j) => (j === i ? n : x));
    this.apply(tables);
  }

  private blurRow(i: number) {
    if (store.fieldErrors.tables) return;
    const { [i]: _gone, ...rest } = this.raw;
    void _gone;
    this.raw = rest;
  }
}
customElements.define('tables-editor', TablesEditor);
