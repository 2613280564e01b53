// Entry point. Checks for WebGPU before loading anything that might touch GPU globals, so a
// browser without it gets a clear page instead of a script error.

import './no-webgpu';

const root = document.getElementById('app')!;

function noWebgpu(reason: 'api' | 'insecure', detail = '') {
  const el = document.createElement('no-webgpu');
  el.setAttribute('reason', reason);
  if (detail) el.setAttribute('detail', detail);
  root.replaceChildren(el);
}

if (!('gpu' in navigator) || !navigator.gpu) {
  noWebgpu(window.isSecureContext ? 'api' : 'insecure');
} else {
  import('./lab-app')
    .then(() => root.replaceChildren(document.createElement('dp-lab')))
    .catch((e: Error) => noWebgpu('api', `The lab failed to load: ${e.message}`));
}
