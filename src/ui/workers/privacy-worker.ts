// The lab's privacy worker: PRV compositions (the preview and a run's epsilon at its log points)
// off the page's main thread, so the page stays responsive and training never waits on them.
// Requests are answered in order, except that of the preview requests waiting, only the newest is
// computed (the others are answered 'stale'). The engine's caches (one PRV plan per run, its
// compositions) live here, as they would on the main thread.
import { answer, type PrivacyRequest } from './privacy-compute';

const queue: PrivacyRequest[] = [];
let scheduled = false;

function drain(): void {
  scheduled = false;
  while (queue.length) {
    const r = queue.shift()!;
    if (r.kind === 'preview' && queue.some((o) => o.kind === 'preview')) {
      postMessage({ id: r.id, kind: 'stale' });
      continue;
    }
    postMessage(answer(r));
    // let messages that arrived meanwhile join the queue (a newer preview replaces an older one)
    if (queue.length) {
      scheduled = true;
      setTimeout(drain, 0);
      return;
    }
  }
}

self.onmessage = (e: MessageEvent<PrivacyRequest>) => {
  queue.push(e.data);
  if (!scheduled) {
    scheduled = true;
    setTimeout(drain, 0);
  }
};
