// The page's own styles (dp-lab): header, layout, tabs, banners, the share box, narrow screens,
// explanations hidden and presentation mode.

import { css } from 'lit';

export const labAppStyles = css`
    :host {
      display: block;
      min-height: 100vh;
      background: var(--bg);
    }
    header {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 8px 16px;
      padding: 10px 20px;
      background: #0f172a;
      color: #e2e8f0;
    }
    .actions {
      display: flex;
      flex-wrap: wrap;
      gap: 6px;
    }
    #menu-toggle,
    .cfg-toggle {
      display: none;
    }
    .skip {
      position: absolute;
      left: 8px;
      top: -60px;
      z-index: 20;
    }
    .skip:focus {
      top: 8px;
    }
    .brand {
      margin: 0;
      font-weight: 700;
      font-size: 16px;
      letter-spacing: -0.01em;
      white-space: nowrap;
    }
    .brand span {
      font-weight: 400;
      color: #94a3b8;
      margin-left: 8px;
      font-size: 13px;
    }
    .chip {
      font-size: 12px;
      color: #cbd5e1;
      border: 1px solid #334155;
      border-radius: 999px;
      padding: 2px 10px;
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
      max-width: 48ch;
      min-width: 0;
    }
    .chip .dot {
      display: inline-block;
      width: 7px;
      height: 7px;
      border-radius: 50%;
      margin-right: 6px;
      background: #22c55e;
    }
    .chip.lost .dot,
    .chip.unavailable .dot {
      background: #ef4444;
    }
    .chip.pending .dot {
      background: #eab308;
    }
    .spacer {
      flex: 1;
    }
    header button {
      background: #1e293b;
      border-color: #334155;
      color: #e2e8f0;
    }
    header button:hover:not(:disabled) {
      border-color: #64748b;
    }
    header button.primary {
      background: var(--accent);
      border-color: var(--accent);
    }
    .layout {
      display: grid;
      grid-template-columns: 330px minmax(0, 1fr);
      grid-template-rows: auto 1fr;
      min-height: calc(100vh - 52px);
    }
    aside {
      grid-column: 1;
      grid-row: 1 / span 2;
      border-right: 1px solid var(--line);
      background: var(--card);
      padding: 4px 14px 20px;
      overflow: auto;
      max-height: calc(100vh - 52px);
      position: sticky;
      top: 0;
    }
    .controls,
    main {
      padding: 16px 20px 0;
      display: grid;
      grid-template-columns: minmax(0, 1fr);
      gap: 14px;
      align-content: start;
      min-width: 0;
    }
    .controls {
      grid-column: 2;
      grid-row: 1;
    }
    main {
      grid-column: 2;
      grid-row: 2;
      padding: 14px 20px 40px;
    }
    nav {
      display: flex;
      /* one row that scrolls sideways on a phone, rather than three rows with one underline */
      flex-wrap: nowrap;
      overflow-x: auto;
      scrollbar-width: thin;
      gap: 2px;
      border-bottom: 1px solid var(--line);
    }
    [role='tabpanel']:focus-visible {
      outline: 2px solid var(--accent);
      outline-offset: 2px;
    }
    nav button {
      border: none;
      border-bottom: 2px solid transparent;
      border-radius: 0;
      background: none;
      padding: 8px 12px;
      color: var(--muted);
      font-weight: 500;
    }
    nav button[aria-selected='true'] {
      color: var(--fg);
      border-bottom-color: var(--accent);
    }
    .banner {
      border-radius: 8px;
      padding: 10px 14px;
      border: 1px solid;
      display: grid;
      grid-template-columns: 1fr auto;
      gap: 4px 12px;
      align-items: start;
    }
    .banner.error {
      background: var(--danger-weak);
      border-color: var(--danger);
      color: var(--danger);
    }
    .banner.warning {
      background: var(--warn-weak);
      border-color: var(--warn-line);
      color: var(--warn);
    }
    .banner.info {
      background: var(--info-bg);
      border-color: var(--info-line);
      color: var(--info-fg);
    }
    .banner b {
      display: block;
    }
    .banner ul {
      margin: 4px 0 0;
      padding-left: 18px;
      font-size: 12px;
    }
    .banner .acts {
      display: flex;
      gap: 6px;
    }
    .sharebox {
      position: fixed;
      right: 20px;
      top: 56px;
      width: min(560px, calc(100vw - 40px));
      z-index: 10;
      box-shadow: 0 10px 30px rgba(15, 23, 42, 0.18);
    }
    .sharebox input {
      width: 100%;
      font-family: ui-monospace, monospace;
      font-size: 12px;
    }
    /* below a tablet width: run controls first, then the configuration as a section that
       opens on demand, then the views, so Train is always on the first screen */
    @media (max-width: 900px) {
      .layout {
        grid-template-columns: minmax(0, 1fr);
        grid-template-rows: none;
      }
      aside,
      .controls,
      main {
        grid-column: 1;
        grid-row: auto;
      }
      aside {
        position: static;
        max-height: none;
        border-right: none;
        border-top: 1px solid var(--line);
        border-bottom: 1px solid var(--line);
        margin-top: 14px;
        padding: 8px 12px;
      }
      .cfg-toggle {
        display: flex;
        width: 100%;
        justify-content: space-between;
      }
      aside:not(.open) config-panel {
        display: none;
      }
      header {
        padding: 8px 12px;
      }
      .controls,
      main {
        padding-left: 12px;
        padding-right: 12px;
      }
    }
    @media (max-width: 800px) {
      .brand span {
        display: none;
      }
      #menu-toggle {
        display: inline-block;
      }
      .actions {
        display: none;
        width: 100%;
      }
      .actions.open {
        display: flex;
      }
      .chip {
        max-width: 100%;
        order: 3;
        flex-basis: 100%;
        white-space: normal;
        overflow-wrap: anywhere;
      }
    }
    /* explanations hidden: a clean canvas for slides */
    :host([data-text='0']) .layout {
      grid-template-columns: minmax(0, 1fr);
    }
    :host([data-text='0']) .controls,
    :host([data-text='0']) main {
      grid-column: 1;
    }
    :host([data-text='0']) aside,
    :host([data-present]) aside {
      display: none;
    }
    :host([data-present]) {
      --font-scale: 1.35;
      --chart-scale: 1.6;
      --grid-min: 600px;
    }
    /* the Present button shows its state */
    #present[aria-pressed='true'] {
      background: var(--accent);
      border-color: var(--accent);
      color: white;
    }
    :host([data-present]) .layout {
      grid-template-columns: minmax(0, 1fr);
    }
    :host([data-present]) .controls,
    :host([data-present]) main {
      grid-column: 1;
    }
`;
