// Keeps the address bar and the store in step: the fragment is read once at load (and again
// when the user edits it or steps through history), and rewritten on every change, so the
// current address always reproduces what is on screen. A configuration edit makes a history
// entry, so Back and Forward step through configurations; further edits of the same field
// (typing 2, 20, 200) and changes outside the configuration (the open view) replace it, so the
// history holds one entry per setting changed, not one per keystroke.

import { DEFAULT_CONFIG, type Config } from '../../config/config';
import { decodeState, type UrlIssue } from '../../config/url';
import { requestLinkWarnings } from '../workers/privacy-client';
import { store } from './store';

let written = '';
/** the configuration the current history entry shows, and the fields edited in it */
let shown: Config | undefined;
let editing = '';
let arriving = false;

export function applyFragment(hash: string): void {
  // decoding is pure and quick; whether the link's sigma gives any privacy is asked of the
  // privacy worker (a PRV composition takes seconds for long runs: never on the page's thread)
  const { state, issues } = decodeState(hash);
  // A link may not raise the memory limit past this device's default (or what is set here now)
  // on its own: a huge limit with autorun=1 would allocate before anyone looked. One click does.
  const asked = state.config.memoryLimit;
  const allowed = Math.max(DEFAULT_CONFIG.memoryLimit, store.config.memoryLimit);
  if (asked > allowed) state.config = { ...state.config, memoryLimit: allowed };
  store.replaceConfig(state.config);
  if (asked > allowed)
    store.banner({
      id: 'memory-limit',
      kind: 'warning',
      title: `This link asks for a memory limit of ${asked} GiB`,
      message:
        `The lab keeps ${allowed} GiB until you allow more: WebGPU cannot tell how much memory this GPU has, ` +
        'and asking for too much can lose the device.',
      action: {
        label: `Use ${asked} GiB`,
        run: () => {
          store.dismiss('memory-limit');
          store.setConfig('memoryLimit', asked);
        },
      },
    });
  else store.dismiss('memory-limit');
  store.ui = state.ui;
  store.shared = state.results ? { results: state.results, config: structuredClone(state.config) } : undefined;
  store.urlIssues = issues;
  if (issues.length)
    store.banner({
      id: 'url',
      kind: 'warning',
      title: `${issues.length} field${issues.length > 1 ? 's' : ''} of this link could not be used`,
      message: 'Each keeps its default value; every other field of the link was applied.',
      details: issues.map((i) => `${i.key}: ${i.message}`),
    });
  else store.dismiss('url');
  store.dismiss('url-privacy');
  void requestLinkWarnings(state.config).then(privacyBanner, () => undefined);
  if (state.results && state.ui.view !== 'stages')
    store.banner({
      id: 'shared',
      kind: 'info',
      title: 'This link carries measured results',
      message: `Per-stage medians measured on ${state.results.device || 'the sender’s device'}; compare them with this device in the stage-latency view.`,
      action: {
        label: 'Compare',
        run: () => {
          store.dismiss('shared');
          store.setUi('view', 'stages');
        },
      },
    });
  else store.dismiss('shared');
  store.changed();
}

/** Applied, but no privacy: sigma 0 (or too small) gives epsilon = infinity. Undefined: a newer link came. */
function privacyBanner(warnings: UrlIssue[] | undefined): void {
  if (!warnings) return;
  if (warnings.length)
    store.banner({
      id: 'url-privacy',
      kind: 'warning',
      title: 'This link trains without privacy (ε = ∞)',
      message: 'Its σ adds no effective noise; raise σ or set a target ε for a private run.',
      details: warnings.map((i) => `${i.key}: ${i.message}`),
    });
  else store.dismiss('url-privacy');
}

export function startUrlSync(): void {
  applyFragment(location.hash);
  write();
  store.addEventListener('change', write);
  window.addEventListener('hashchange', () => {
    if (location.hash !== written) arrive();
  });
  window.addEventListener('popstate', () => {
    if (location.hash !== written) arrive();
  });
}

/** Back, Forward or an edited address: show that state; the next edit starts a new entry. */
function arrive(): void {
  written = location.hash;
  editing = '';
  arriving = true; // a non-canonical address is rewritten in place, not pushed
  try {
    applyFragment(location.hash);
  } finally {
    arriving = false;
  }
  shown = store.config;
}

/** The configuration fields that differ between a and b, as a stable string. */
function changedKeys(a: Config | undefined, b: Config): string {
  if (!a) return '';
  return (Object.keys(b) as (keyof Config)[]).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).join(',');
}

function write(): void {
  const next = '#' + store.fragment();
  const keys = changedKeys(shown, store.config);
  if (next === location.hash) {
    written = next;
    shown = store.config;
    return;
  }
  written = next;
  if (keys && keys !== editing && !arriving) {
    history.pushState(null, '', next);
    editing = keys;
  } else history.replaceState(history.state, '', next);
  shown = store.config;
}
