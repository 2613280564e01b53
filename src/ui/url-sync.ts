// Keeps the address bar and the store in step: the fragment is read once at load (and again
// when the user edits it), and rewritten with replaceState on every change, so the current
// address always reproduces what is on screen without filling the history.

import { decodeState } from '../config/url';
import { store } from './store';

let written = '';

export function applyFragment(hash: string): void {
  const { state, issues, warnings } = decodeState(hash);
  store.replaceConfig(state.config);
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
  // applied, but no privacy: sigma 0 (or too small) gives epsilon = infinity
  if (warnings.length)
    store.banner({
      id: 'url-privacy',
      kind: 'warning',
      title: 'This link trains without privacy (ε = ∞)',
      message: 'Its σ adds no effective noise; raise σ or set a target ε for a private run.',
      details: warnings.map((i) => `${i.key}: ${i.message}`),
    });
  else store.dismiss('url-privacy');
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

export function startUrlSync(): void {
  applyFragment(location.hash);
  write();
  store.addEventListener('change', write);
  window.addEventListener('hashchange', () => {
    if (location.hash !== written) applyFragment(location.hash);
  });
}

function write(): void {
  const next = '#' + store.fragment();
  if (next === location.hash) {
    written = next;
    return;
  }
  written = next;
  history.replaceState(history.state, '', next);
}
