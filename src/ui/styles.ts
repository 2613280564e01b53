// Shared look: one palette for algorithms and one for stages, used by every chart and legend,
// so "lazydp" or "noise" has the same colour everywhere (and on a projector).
import { css } from 'lit';
import type { Algo } from '../config/config';
import type { Stage } from '../engine';
import { ALGORITHMS } from '../algorithms';

/** Each registered algorithm's colour and label (src/algorithms/). */
export const ALGO_COLORS = Object.fromEntries(ALGORITHMS.map((a) => [a.name, a.color])) as Record<Algo, string>;
export const ALGO_LABELS = Object.fromEntries(ALGORITHMS.map((a) => [a.name, a.label])) as Record<Algo, string>;
/** How many algorithms "run all" runs, in words ("four"). */
export const ALL_ALGOS =
  ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'][ALGORITHMS.length - 1] ?? String(ALGORITHMS.length);

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
    --fg2: #334155;
    --code-bg: #f1f5f9;
    --link: #1d4ed8;
    --info-bg: #eff6ff;
    --info-fg: #1e3a8a;
    --info-line: #bfdbfe;
    --warn-line: #fde68a;
    --badge-fg: #1e40af;
    --badge-warn-bg: #fef3c7;
    --badge-danger-bg: #fee2e2;
    --badge-ok-bg: #dcfce7;
    color: var(--fg);
    font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    /* presentation mode scales text through --font-scale (set on the page) */
    font-size: calc(14px * var(--font-scale, 1));
    line-height: 1.45;
  }
  /* a dark theme for dark rooms and dark systems (the charts follow, see lab-chart.ts) */
  @media (prefers-color-scheme: dark) {
    :host {
      --fg: #e2e8f0;
      --fg2: #cbd5e1;
      --muted: #94a3b8;
      --line: #334155;
      --bg: #0b1120;
      --card: #111827;
      --accent: #2563eb;
      --accent-weak: #1e3a8a;
      --danger: #f87171;
      --danger-weak: #2a1215;
      --warn: #fcd34d;
      --warn-weak: #271c06;
      --ok: #4ade80;
      --code-bg: #1e293b;
      --link: #93c5fd;
      --info-bg: #0f1d3a;
      --info-fg: #bfdbfe;
      --info-line: #1e3a8a;
      --warn-line: #78350f;
      --badge-fg: #bfdbfe;
      --badge-warn-bg: #422006;
      --badge-danger-bg: #450a0a;
      --badge-ok-bg: #052e16;
      color-scheme: dark;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    * {
      transition: none !important;
      animation: none !important;
      scroll-behavior: auto !important;
    }
  }
  * {
    box-sizing: border-box;
  }
  a {
    color: var(--link);
  }
  :focus-visible {
    outline: 2px solid var(--accent);
    outline-offset: 1px;
  }
  h2 {
    font-size: calc(16px * var(--font-scale, 1));
    font-weight: 600;
    margin: 0 0 8px;
  }
  h3 {
    font-size: calc(13px * var(--font-scale, 1));
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
    font-size: calc(12px * var(--font-scale, 1));
  }
  .row {
    display: flex;
    gap: 8px;
    align-items: center;
    flex-wrap: wrap;
  }
  .grid2 {
    display: grid;
    /* presentation mode asks for wider columns (--grid-min), so larger text does not squeeze the charts */
    grid-template-columns: repeat(auto-fit, minmax(min(var(--grid-min, 360px), 100%), 1fr));
    gap: 14px;
  }
  button {
    font: inherit;
    font-size: calc(13px * var(--font-scale, 1));
    border: 1px solid var(--line);
    background: var(--card);
    color: var(--fg);
    border-radius: 7px;
    padding: 5px 12px;
    cursor: pointer;
    white-space: nowrap;
  }
  button:hover:not(:disabled) {
    border-color: var(--muted);
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
    background: var(--card);
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
    color: var(--badge-fg);
  }
  .badge.warn {
    background: var(--badge-warn-bg);
    color: var(--warn);
  }
  .badge.danger {
    background: var(--badge-danger-bg);
    color: var(--danger);
  }
  .badge.ok {
    background: var(--badge-ok-bg);
    color: var(--ok);
  }
  .note {
    font-size: 12px;
    padding: 6px 10px;
    border-radius: 7px;
    background: var(--warn-weak);
    color: var(--warn);
    border: 1px solid var(--warn-line);
  }
  .note.info {
    background: var(--info-bg);
    color: var(--info-fg);
    border-color: var(--info-line);
  }
  .warn {
    color: var(--warn);
  }
  .err {
    color: var(--danger);
    font-size: 12px;
  }
  /* wide tables scroll inside their card, never the page */
  .scroll {
    overflow-x: auto;
    max-width: 100%;
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
    color: var(--fg2);
    font-size: calc(13px * var(--font-scale, 1));
    max-width: 75ch;
  }
  code {
    font-family: ui-monospace, 'SF Mono', Menlo, monospace;
    font-size: 12px;
    background: var(--code-bg);
    padding: 0 4px;
    border-radius: 4px;
  }
`;

/** The views' common layout: a grid of cards, definition lists, inline labelled inputs. */
export const viewStyles = css`
      :host {
        display: grid;
        grid-template-columns: minmax(0, 1fr);
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
        color: var(--fg2);
      }
      label.inline {
        font-size: 12px;
        color: var(--muted);
        display: inline-flex;
        gap: 4px;
        align-items: center;
      }
`;
