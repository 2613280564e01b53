// What went wrong, in words: errors named for the user, and the privacy check before a run.

import { ConfigError, isPrivate, privacyKey, type Config } from '../../config/config';
import { CapacityError, resolveSigma } from '../../engine';
import { requestSigma } from '../workers/privacy-client';
import { store } from './store';

export interface ErrorReport {
  title: string;
  message: string;
  key?: string;
}

/** Names what went wrong in terms a user can act on. */
export function describeError(e: unknown): ErrorReport {
  const msg = e instanceof Error ? e.message : String(e);
  if (e instanceof ConfigError) return { title: `Configuration: ${e.key}`, message: msg, key: e.key };
  if (e instanceof CapacityError) return { title: 'Too big for this device', message: msg, key: e.key };
  const name = (e as { name?: string })?.name ?? '';
  if (name === 'GPUPipelineError' || /\bWGSL\b|shader|createShaderModule|compil/i.test(msg))
    return {
      title: 'Shader error',
      message:
        `${msg} — this is a bug in the lab's GPU code or in the browser's WebGPU implementation; ` +
        "please report it with the device panel's details.",
    };
  if (name === 'OperationError' && /lost|destroyed/i.test(msg)) return { title: 'GPU device lost', message: msg };
  if (/out of memory|OutOfMemory/i.test(msg))
    return {
      title: 'Out of GPU memory',
      message: `${msg} — try fewer or smaller tables, a smaller batch or evalSize.`,
    };
  return { title: 'Run failed', message: msg };
}

let sigmaMemo: { key: string; problem?: string } | undefined;

/**
 * Why `c` cannot train at all on privacy grounds (a target epsilon it cannot reach), or undefined.
 * A calibration (several PRV compositions for long runs) runs in the lab's privacy worker: until
 * it answers, no problem is reported (a run started meanwhile calibrates again and fails with the
 * same reason), then the page redraws with it.
 */
export function privacyProblem(c: Config): string | undefined {
  const key = privacyKey(c);
  if (sigmaMemo?.key !== key) {
    const memo: NonNullable<typeof sigmaMemo> = { key };
    sigmaMemo = memo;
    if (!isPrivate(c) || !(c.targetEpsilon > 0)) {
      // no calibration: resolveSigma only reads the config
      try {
        resolveSigma(c);
      } catch (e) {
        memo.problem = (e as Error).message;
      }
    } else
      requestSigma(c).catch((e: unknown) => {
        memo.problem = (e as Error).message;
        if (sigmaMemo === memo) store.changed();
      });
  }
  return sigmaMemo.problem;
}
