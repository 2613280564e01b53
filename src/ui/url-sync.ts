// Keeps the address bar and the store in step: the fragment is read once at load (and again
// when the user edits it), and rewritten with replaceState on every change, so the current
// address always reproduces what is on screen without filling the history.

import { DEFAULT_CONFIG } from '../config/config';
import { decodeState } from '../config/url';
import { store } from './store';

let written = '';

export function applyFragment(hash: string): void {
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
