// Links and downloads. A link is the page address plus the state fragment; "share results"
// adds this page's measured per-stage medians with their spread, the device, browser, date and the
// sweep to it. The JSON download holds everything measured here, with the link that reproduces the
// configuration. A hosted lab's links point at its address (LAB_URL at build time, see
// docs/hosting.md), wherever the page that makes them is served.

import { labLinkBase } from '../../config/lab-url';
import type { SharedResults } from '../../config/url';
import { jsonInfinity, privacyReport } from '../../privacy/report';
import { downloadBlob } from '../charts/lab-chart';
import { importedPrivacy } from './results-import';
import { runner } from './runner';
import { store, type RunRecord } from './store';

/**
 * What a run's epsilon means, as the download states it. An imported run carries the lab's own
 * recomputed epsilon (never a guarantee: the lab did not train it), with the file's claim beside.
 */
function runPrivacy(r: RunRecord) {
  if (r.source === 'imported')
    return {
      importedFrom: r.importedFrom,
      claimedByFile: { epsilon: r.claimedEpsilon ?? null, guaranteed: r.claimedGuaranteed ?? false },
      privacy: importedPrivacy(r),
    };
  // what epsilon covers: the logged training loss and example counts are not covered
  return {
    privacy: privacyReport(r.config, {
      epsilon: r.summary?.epsilon ?? r.log.at(-1)?.epsilon,
      seedFixed: r.seedFixed,
      sigma: r.summary?.sigma,
    }),
  };
}

/** LAB_URL as the build saw it (vite.config.ts `define`, checked there); absent outside a build */
declare const __LAB_URL__: string | undefined;
const configuredLab = typeof __LAB_URL__ === 'string' ? __LAB_URL__ : undefined;

export function linkFor(results?: SharedResults): string {
  return `${labLinkBase(configuredLab, location.origin + location.pathname)}#${store.fragment(results)}`;
}

/** The link with this page's results (or the configuration alone when nothing is measured yet). */
export function shareLink(): { url: string; withResults: boolean } {
  const results = runner.results();
  return {
    url: linkFor(results ?? undefined),
    withResults: !!results,
  };
}

export function resultsJson(): unknown {
  return {
    lab: 'dp-webgpu-lab',
    format: 1,
    createdAt: new Date().toISOString(),
    link: linkFor(runner.results()),
    config: store.config,
    device: store.device,
    timestampProbe: store.tsProbe,
    // a link reproduces the configuration, not a data file: say which data the runs used
    data:
      store.dataSource === 'criteo' && store.criteo
        ? {
            source: 'criteo',
            file: store.criteo.name,
            bytes: store.criteo.bytes,
            ...store.criteo.split(store.config.evalSize),
          }
        : { source: 'synthetic' },
    runs: store.runs.map((r) => ({
      algo: r.algo,
      data: r.data,
      source: r.source,
      requested: r.requested,
      config: r.config,
      seedFixed: r.seedFixed,
      note: r.seedFixed ? 'fixed seed: reproducible, not private' : undefined,
      ...runPrivacy(r),
      timing: r.timing,
      stepsDone: r.stepsDone,
      summary: r.summary ?? null,
      log: r.summary ? undefined : r.log,
    })),
    sweep: store.sweep,
    sweepData: store.sweepData ?? null,
    shared: store.shared ?? null,
  };
}

export function downloadJson(): void {
  // an infinite epsilon stays "Infinity" (no privacy), never null; NaN (no value) is null
  const text = JSON.stringify(
    resultsJson(),
    (k, v) => (typeof v === 'number' && Number.isNaN(v) ? null : jsonInfinity(k, v)),
    2,
  );
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  downloadBlob(`dp-lab-results-${stamp}.json`, new Blob([text], { type: 'application/json' }));
}

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false; // no permission (or not focused): the link stays visible to copy by hand
  }
}
