// Every key of SCHEMA as a typed field, generated from the schema (a new key appears here by
// itself, under "Other"). A field keeps exactly what the user typed: text that does not parse
// stays in the field with its message and is not applied, so nothing typed is ever lost.

import { LitElement, css, html, nothing } from 'lit';
import { CONFIG_KEYS, SCHEMA, defaultLr, parseValue, type Algo, type Config } from '../../config/config';
import { randomSeed } from '../../noise/philox';
import { parseCount } from '../format';
import { ALGO_COLORS, ALGO_LABELS, sharedStyles } from '../styles';
import { store, StoreController } from '../state/store';
import './data-picker';
import './tables-editor';
import './memory-meter';
import './micro-batch-note';
import './privacy-preview';

const GROUPS: { title: string; keys: (keyof Config)[] }[] = [
  { title: 'Algorithm', keys: ['algo', 'noiseKernel', 'clipping'] },
  { title: 'Model', keys: ['tables', 'dim', 'pooling', 'dense', 'bottom', 'top', 'interaction', 'memoryLimit'] },
  {
    title: 'Training',
    keys: [
      'steps',
      'batch',
      'microBatch',
      'sampling',
      'lr',
      'lrSchedule',
      'tableOptimizer',
      'weightDecay',
      'mlpOptimizer',
    ],
  },
  { title: 'Privacy', keys: ['sigma', 'targetEpsilon', 'clip', 'delta', 'accountant', 'seed'] },
  { title: 'Data', keys: ['datasetSize', 'evalSize', 'evalEvery', 'zipf', 'dataSeed'] },
];

/** Short labels; the schema's help text is the tooltip. */
const LABELS: Partial<Record<keyof Config, string>> = {
  noiseKernel: 'noise kernel',
  lrSchedule: 'lr schedule',
  tableOptimizer: 'table optimizer',
  weightDecay: 'weight decay',
  mlpOptimizer: 'MLP optimizer',
  memoryLimit: 'memory limit (GiB)',
  microBatch: 'micro-batch',
  targetEpsilon: 'target ε',
  sigma: 'noise σ',
  clip: 'clip norm C',
  delta: 'δ',
  datasetSize: 'train examples',
  evalSize: 'held-out examples',
  evalEvery: 'eval every',
  dataSeed: 'data seed',
  zipf: 'Zipf exponent',
  bottom: 'bottom MLP',
  top: 'top MLP',
  dim: 'embedding dim',
};

export function display(key: keyof Config, v: unknown): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}

/** Whole-number fields also take compact counts (1e5, 2^20, 1Mi, 1.5k); the typed text stays. */
function compact(key: keyof Config, text: string): string {
  const kind = SCHEMA[key].kind;
  const one = (t: string) => (Number.isNaN(parseCount(t)) ? t : String(parseCount(t)));
  if (kind === 'int') return one(text);
  if (kind === 'intlist') return text.split(',').map(one).join(',');
  return text;
}

export class ConfigPanel extends LitElement {
  static properties = { raw: { state: true } };
  declare raw: Partial<Record<keyof Config, string>>;
  readonly storeCtl = new StoreController(this);
  private lastConfig?: Config;

  constructor() {
    super();
    this.raw = {};
  }

  static styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      details {
        border-bottom: 1px solid var(--line);
        padding: 8px 0;
      }
      summary {
        cursor: pointer;
        font-weight: 600;
        font-size: 12px;
        text-transform: uppercase;
        letter-spacing: 0.05em;
        color: var(--muted);
        list-style-position: outside;
        margin-left: 14px;
      }
      .field {
        display: grid;
        grid-template-columns: 118px 1fr;
        gap: 2px 8px;
        align-items: center;
        margin: 6px 0;
      }
      .field label {
        font-size: 12px;
        color: var(--fg2);
      }
      .field input,
      .field select {
        width: 100%;
      }
      .field .err,
      .field .hint {
        grid-column: 2;
      }
      .field.wide {
        grid-template-columns: 1fr;
      }
      .field.wide .err {
        grid-column: 1;
      }
      .seg {
        display: grid;
        grid-template-columns: 1fr 1fr;
        gap: 4px;
      }
      .seg button {
        padding: 5px 6px;
        font-size: 12px;
        text-align: left;
      }
      .seg button[aria-pressed='true'] {
        border-color: var(--c);
        box-shadow: inset 3px 0 0 var(--c);
        background: var(--bg);
        font-weight: 600;
      }
      .hint {
        font-size: 11px;
        color: var(--muted);
      }
      .seedrow {
        display: flex;
        gap: 6px;
        align-items: center;
      }
      .seedrow input[type='text'] {
        flex: 1;
      }
      .seedrow label {
        display: inline-flex;
        gap: 4px;
        align-items: center;
        white-space: nowrap;
      }
    `,
  ];

  protected willUpdate(): void {
    // A configuration changed from outside (URL, shared link, a loaded data file) resets the
    // typed texts it overrides; text that does not parse yet (it has its error) is kept.
    if (this.lastConfig && store.config !== this.lastConfig) {
      const keep: Partial<Record<keyof Config, string>> = {};
      for (const [k, text] of Object.entries(this.raw) as [keyof Config, string][]) {
        if (store.fieldErrors[k]) {
          keep[k] = text;
          continue;
        }
        try {
          if (JSON.stringify(parseValue(k, text)) === JSON.stringify(store.config[k])) keep[k] = text;
        } catch {
          /* drop */
        }
      }
      this.raw = keep;
    }
    this.lastConfig = store.config;
  }

  render() {
    const placed = new Set(GROUPS.flatMap((g) => g.keys));
    const other = CONFIG_KEYS.filter((k) => !placed.has(k));
    const groups = other.length ? [...GROUPS, { title: 'Other', keys: other }] : GROUPS;
    const cons = store.consistency;
    return html`
      ${groups.map(
        (g, i) => html`<details ?open=${i < 5} data-group=${g.title}>
          <summary>${g.title}</summary>
          ${g.title === 'Data' ? html`<data-picker></data-picker>` : nothing}
          ${g.keys.filter((k) => k in SCHEMA).map((k) => this.field(k))}
          ${g.title === 'Privacy' ? html`<privacy-preview></privacy-preview>` : nothing}
          ${g.title === 'Model' ? html`<memory-meter></memory-meter>` : nothing}
        </details>`,
      )}
      ${cons ? html`<p class="err" data-consistency>${cons.message}</p>` : nothing}
    `;
  }

  private field(key: keyof Config) {
    const spec = SCHEMA[key];
    const err =
      store.fieldErrors[key] ??
      (store.consistency?.key === key ? store.consistency.message.replace(`${key}: `, '') : undefined);
    const label = LABELS[key] ?? key;
    const criteo = store.dataSource === 'criteo' ? store.criteo : undefined;
    if (key === 'tables') return html`<tables-editor></tables-editor>`;
    if (key === 'algo') return this.algoField(err);
    if (key === 'seed') return this.seedField(err);
    const id = `f-${key}`;
    let input;
    if (spec.kind === 'enum') {
      input = html`<select id=${id} name=${key} .value=${String(store.config[key])} @change=${(e: Event) => this.set(key, (e.target as HTMLSelectElement).value)}>
        ${spec.values!.map((v) => html`<option value=${v} ?selected=${store.config[key] === v}>${v}</option>`)}
      </select>`;
    } else {
      const text = this.raw[key] ?? display(key, store.config[key]);
      // the training split of a Criteo file is the file's: it follows the held-out count
      const fromFile = key === 'datasetSize' && store.dataSource === 'criteo';
      input = html`<input
        ?readonly=${fromFile}
        title=${fromFile ? 'set by the Criteo file: its lines minus the held-out ones' : nothing}
        id=${id}
        name=${key}
        type="text"
        inputmode=${spec.kind === 'intlist' ? 'text' : 'decimal'}
        spellcheck="false"
        class=${err ? 'bad' : ''}
        .value=${text}
        @input=${(e: Event) => this.set(key, (e.target as HTMLInputElement).value)}
        @blur=${() => this.normalise(key)}
      />`;
    }
    return html`<div class="field" title=${spec.help}>
      <label for=${id}>${label}</label>${input} ${err ? html`<span class="err" data-error-for=${key}>${err}</span>` : nothing}
      ${
        key === 'noiseKernel' && store.config.noiseKernel === 'fused'
          ? html`<span class="hint">fused: noise is sampled inside the update kernel, so its time shows under <b>update</b></span>`
          : nothing
      }
      ${key === 'microBatch' ? html`<micro-batch-note class="hint"></micro-batch-note>` : nothing}
      ${key === 'targetEpsilon' && store.config.targetEpsilon > 0 ? html`<span class="hint">σ is calibrated; the σ field is ignored</span>` : nothing}
      ${criteo && key === 'datasetSize' ? html`<span class="hint">from the file (its lines minus the held-out ones)</span>` : nothing}
      ${
        criteo && key === 'evalSize'
          ? html`<span class="hint">the file's last ${criteo.split(store.config.evalSize).eval.toLocaleString('en-US')} lines (at most a fifth of ${criteo.lines.toLocaleString('en-US')})</span>`
          : nothing
      }
      ${criteo && key === 'zipf' ? html`<span class="hint">synthetic task only: the file has its own popularity</span>` : nothing}
    </div>`;
  }

  private algoField(err?: string) {
    return html`<div class="field wide" title=${SCHEMA.algo.help}>
      <div class="seg" role="group" aria-label="algorithm">
        ${SCHEMA.algo.values!.map(
          (a) => html`<button
            style="--c:${ALGO_COLORS[a as Algo]}"
            data-algo=${a}
            aria-pressed=${store.config.algo === a ? 'true' : 'false'}
            @click=${() => this.set('algo', a)}
          >
            ${ALGO_LABELS[a as Algo]}
          </button>`,
        )}
      </div>
      ${err ? html`<span class="err" data-error-for="algo">${err}</span>` : nothing}
    </div>`;
  }

  private seedField(err?: string) {
    const fixed = store.config.seed !== 'random' || this.raw.seed !== undefined;
    const text = this.raw.seed ?? (store.config.seed === 'random' ? '' : store.config.seed);
    return html`<div class="field" title=${SCHEMA.seed.help}>
      <label for="f-seed">noise seed</label>
      <div class="seedrow">
        <label class="small"><input type="checkbox" id="seed-fixed" .checked=${fixed} @change=${(e: Event) => this.fixSeed((e.target as HTMLInputElement).checked)} /> fixed</label>
        ${
          fixed
            ? html`<input id="f-seed" name="seed" type="text" inputmode="numeric" class=${err ? 'bad' : ''} .value=${text} @input=${(e: Event) => this.set('seed', (e.target as HTMLInputElement).value)} />`
            : html`<span class="small muted">random (crypto)</span>`
        }
      </div>
      ${fixed ? html`<span class="hint"><span class="badge warn" data-seed-fixed>reproducible, not private</span> anyone with the seed can recompute the noise</span>` : nothing}
      ${err ? html`<span class="err" data-error-for="seed">${err}</span>` : nothing}
    </div>`;
  }

  private fixSeed(on: boolean) {
    const { seed: _s, ...rest } = this.raw;
    void _s;
    this.raw = rest;
    store.setConfig('seed', on ? randomSeed() : 'random');
  }

  /** Applies `text` to `key` when it parses; otherwise keeps it visible with its message. */
  set(key: keyof Config, text: string) {
    if (SCHEMA[key].kind !== 'enum' && key !== 'algo') this.raw = { ...this.raw, [key]: text };
    try {
      const v = parseValue(key, compact(key, text));
      // lr still at the old optimizers' default: move it to the new ones' (Adam needs a far smaller one)
      const lrFollows =
        (key === 'tableOptimizer' || key === 'mlpOptimizer') &&
        this.raw.lr === undefined &&
        store.config.lr === defaultLr(store.config);
      store.setConfig(key, v);
      if (lrFollows) store.setConfig('lr', defaultLr(store.config));
      store.setFieldError(key, undefined);
    } catch (e) {
      store.setFieldError(key, (e as Error).message.replace(`${key}: `, ''));
    }
  }

  /** On blur, a valid field shows the canonical text of its value. */
  private normalise(key: keyof Config) {
    if (store.fieldErrors[key] || this.raw[key] === undefined) return;
    const { [key]: _gone, ...rest } = this.raw;
    void _gone;
    this.raw = rest;
  }
}
customElements.define('config-panel', ConfigPanel);
