// The page's side of the privacy worker (src/ui/workers/privacy-worker.ts): the preview of the current
// configuration (the latest request wins: an answer to an older one is dropped) and the PRV
// epsilon of a run's log points and end. Without Worker support (or if the worker fails to load)
// the same functions run on the main thread, after a turn of the event loop.
import type { Config } from '../../config/config';
import type { LogPoint } from '../../engine/types';
import { store } from '../state/store';
import type { UrlIssue } from '../../config/url';
import { answer, type PrivacyAnswer, type PrivacyRequest, type Preview, type Recomputed } from './privacy-compute';

type Waiter = (a: PrivacyAnswer) => void;

let worker: Worker | undefined;
let broken = false;
let nextId = 1;
let latestPreview = 0;
let latestLink = 0;
const waiting = new Map<number, Waiter>();

/** Where answers come from: 'worker', or 'main' when no worker could be used. */
export let privacySource: 'worker' | 'main' = typeof Worker === 'undefined' ? 'main' : 'worker';

function getWorker(): Worker | undefined {
  if (worker || broken || typeof Worker === 'undefined') return worker;
  try {
    worker = new Worker(new URL('./privacy-worker.ts', import.meta.url), { type: 'module' });
  } catch {
    broken = true;
    privacySource = 'main';
    return undefined;
  }
  worker.onmessage = (e: MessageEvent<PrivacyAnswer>) => {
    const w = waiting.get(e.data.id);
    waiting.delete(e.data.id);
    w?.(e.data);
  };
  worker.onerror = () => {
    // the worker did not load (or died): everything asked of it is answered here instead
    broken = true;
    privacySource = 'main';
    worker?.terminate();
    worker = undefined;
    const pending = [...waiting.entries()];
    waiting.clear();
    for (const [, w] of pending) w({ id: -1, kind: 'stale' });
  };
  return worker;
}

function ask(req: PrivacyRequest): Promise<PrivacyAnswer> {
  const w = getWorker();
  if (!w) return new Promise((res) => setTimeout(() => res(answer(req)), 0));
  return new Promise((res) => {
    // an answer lost with a failed worker is recomputed here
    waiting.set(req.id, (a) => (a.id === -1 ? setTimeout(() => res(answer(req)), 0) : res(a)));
    w.postMessage(req);
  });
}

/** The preview of `c`, or undefined when a newer preview was asked for meanwhile. */
export async function requestPreview(c: Config): Promise<Preview | undefined> {
  const id = nextId++;
  latestPreview = id;
  const a = await ask({ id, kind: 'preview', config: structuredClone(c) });
  if (id !== latestPreview || a.kind !== 'preview') return undefined;
  return a.preview;
}

/**
 * Epsilon after `steps` steps of a run of `c` with noise multiplier sigma: at a log point
 * (`logged`, rounded up to the run's grid as the trainer does) or at its end (`after`, exact).
 */
export async function requestEpsilon(
  kind: 'logged' | 'after',
  c: Config,
  sigma: number,
  steps: number,
): Promise<number | undefined> {
  const a = await ask({ id: nextId++, kind, config: structuredClone(c), sigma, steps });
  if (a.kind !== 'logged' && a.kind !== 'after') throw new Error('privacy worker: unexpected answer');
  if (a.error !== undefined) throw new Error(a.error);
  return a.epsilon;
}

/** Sigma of `c` (calibrated to its target epsilon): rejects with the reason it cannot be found. */
export async function requestSigma(c: Config): Promise<number> {
  const a = await ask({ id: nextId++, kind: 'sigma', config: structuredClone(c) });
  if (a.kind !== 'sigma') throw new Error('privacy worker: unexpected answer');
  if (a.error !== undefined) throw new Error(a.error);
  return a.sigma!;
}

/** The no-privacy warnings of a link's configuration, or undefined when a newer link was opened meanwhile. */
export async function requestLinkWarnings(c: Config): Promise<UrlIssue[] | undefined> {
  const id = nextId++;
  latestLink = id;
  const a = await ask({ id, kind: 'link', config: structuredClone(c) });
  if (id !== latestLink || a.kind !== 'link') return undefined;
  return a.warnings;
}

/** An imported run's epsilon recomputed by the lab's accountant from its configuration. */
export async function requestRecompute(c: Config, steps: number[], stepsDone: number): Promise<Recomputed> {
  const a = await ask({ id: nextId++, kind: 'imported', config: structuredClone(c), steps, stepsDone });
  if (a.kind !== 'imported') throw new Error('privacy worker: unexpected answer');
  return a.recomputed;
}

/**
 * For a run trained with `deferPrvEpsilon`: fills each log point's PRV epsilon from the worker
 * (the point object is the trainer's own, so its log gets the value too) and redraws; `finish`
 * waits for the points asked so far and gives the run's exact epsilon for its summary (undefined
 * where the trainer computes it itself: RDP, sigma 0, no privacy).
 */
export function epsilonFiller(t: { readonly config: Config; readonly sigma: number; prvDeferrable(): boolean }): {
  point(p: LogPoint): void;
  finish(steps: number): Promise<number | undefined>;
} {
  const pending: Promise<void>[] = [];
  let failure: unknown;
  return {
    point(p) {
      if (p.epsilon !== undefined || !t.prvDeferrable()) return;
      pending.push(
        requestEpsilon('logged', t.config, t.sigma, p.step).then(
          (e) => {
            p.epsilon = e;
            store.changedSoon();
          },
          (e: unknown) => void (failure ??= e), // reported by finish, with the run
        ),
      );
    },
    async finish(steps) {
      await Promise.all(pending.splice(0));
      if (failure !== undefined) throw failure;
      return t.prvDeferrable() ? requestEpsilon('after', t.config, t.sigma, steps) : undefined;
    },
  };
}
