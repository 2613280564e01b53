// Shared look: one palette for algorithms and one for stages, used by every chart and legend,
// so "lazydp" or "noise" has the same colour everywhere (and on a projector).
import { css } from 'lit';
import type { Algo } from '../config/config';
import type { Stage } from '../engine';

export const ALGO_COLORS: Record<Algo, string> = {
  sgd: '#64748b',
  dpsgd: '#dc2626',
  lazydp: '#16a34a',
  'lazydp-exact': '#7c3aed',
};

export const ALGO_LABELS: Record<Algo, string> = {
  sgd: 'SGD (non-private)',
  dpsgd: 'DP-SGD (eager)',
  lazydp: 'LazyDP',
  'lazydp-exact': 'LazyDP-exact',
};

export const STAGE_COLORS: Record<Stage, string> = {
  gather: '#2563eb',
  mlp_forward: '#0891b2',
  backward: '#8b5cf6',
  clip: '#db2777',
  noise: '#ea580c',
  update: '#65a30d',
};

export const sharedStyles = css`
  :host {
    --fg: #0f172a;
    --muted: #64748b;
    --line: #e2e8f0;
    --bg: #f8fafc;
    --card: #ffffff;
    --accent: #2563eb;
    --accent-weak: #dbeafe;
    --danger: #b91c1c;
    --danger-weak: #fef2f2;
    --warn: #92400e;
    --warn-weak: #fffbeb;
    --ok: #15803d;
    color: var(--fg);
    font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    font-size: 14px;
    line-height: 1.45;
  }
  * {
    box-sizing: border-box;
  }
  h2 {
    font-size: 16px;
    font-weight: 600;
    margin: 0 0 8px;
  }
  h3 {
    font-size: 13px;
    font-weight: 600;
    margin: 0 0 6px;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    color: var(--muted);
  }
  p {
    margin: 0 0 8px;
  }
  .card {
    background: var(--card);
    border: 1px solid var(--line);
    border-radius: 10px;
    padding: 14px 16px;
  }
  .muted {
    color: var(--muted);
  }
  .small {
    font-size: 12px;
  }
  .row {
    display: flex;
    gap: 8px;
    align-items: center;
    flex-wrap: wrap;
  }
  .grid2 {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(360px, 1fr));
    gap: 14px;
  }
  button {
    font: inherit;
    font-size: 13px;
    border: 1px solid var(--line);
    background: var(--card);
    color: var(--fg);
    border-radius: 7px;
    padding: 5px 12px;
    cursor: pointer;
    white-space: nowrap;
  }
  button:hover:not(:disabled) {
    border-color: #94a3b8;
  }
  button:disabled {
    opacity: 0.45;
    cursor: default;
  }
  button.primary {
    background: var(--accent);
    border-color: var(--accent);
    color: white;
  }
  button.primary:hover:not(:disabled) {
    background: #1d4ed8;
  }
  button.ghost {
    border-color: transparent;
    background: transparent;
  }
  input,
  select {
    font: inherit;
    font-size: 13px;
    border: 1px solid var(--line);
    border-radius: 6px;
    padding: 3px 6px;
    background: white;
    color: var(--fg);
    min-width: 0;
  }
  input:focus,
  select:focus {
    outline: 2px solid var(--accent-weak);
    border-color: var(--accent);
  }
  input.bad {
    border-color: var(--danger);
    background: var(--danger-weak);
  }
  .badge {
    display: inline-block;
    font-size: 11px;
    font-weight: 600;
    padding: 1px 7px;
    border-radius: 999px;
    background: var(--accent-weak);
    color: #1e40af;
  }
  .badge.warn {
    background: #fef3c7;
    color: var(--warn);
  }
  .badge.danger {
    background: #fee2e2;
    color: var(--danger);
  }
  .badge.ok {
    background: #dcfce7;
    color: var(--ok);
  }
  .note {
    font-size: 12px;
    padding: 6px 10px;
    border-radius: 7px;
    background: var(--warn-weak);
    color: var(--warn);
    border: 1px solid #fde68a;
  }
  .note.info {
    background: #eff6ff;
    color: #1e3a8a;
    border-color: #bfdbfe;
  }
  .warn {
    color: var(--warn);
  }
  .err {
    color: var(--danger);
    font-size: 12px;
  }
  table.num {
    border-collapse: collapse;
    font-size: 12px;
    font-variant-numeric: tabular-nums;
  }
  table.num th,
  table.num td {
    padding: 3px 8px;
    border-bottom: 1px solid var(--line);
    text-align: right;
  }
  table.num th:first-child,
  table.num td:first-child {
    text-align: left;
  }
  table.num th {
    color: var(--muted);
    font-weight: 600;
  }
  .swatch {
    display: inline-block;
    width: 10px;
    height: 10px;
    border-radius: 2px;
    margin-right: 4px;
    vertical-align: -1px;
  }
  .explain {
    color: #334155;
    font-size: 13px;
    max-width: 75ch;
  }
  code {
    font-family: ui-monospace, 'SF Mono', Menlo, monospace;
    font-size: 12px;
    background: #f1f5f9;
    padding: 0 4px;
    border-radius: 4px;
  }
`;

/** The views' common layout: a grid of cards, definition lists, inline labelled inputs. */
export const viewStyles = css`
      :host {
        display: grid;
        gap: 14px;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 3px 12px;
        margin: 0;
        font-size: 13px;
      }
      dt {
        font-weight: 600;
      }
      dd {
        margin: 0;
        color: #334155;
      }
      label.inline {
        font-size: 12px;
        color: var(--muted);
        display: inline-flex;
        gap: 4px;
        align-items: center;
      }
`;
