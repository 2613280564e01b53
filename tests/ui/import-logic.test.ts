// A results file's privacy claims are never taken on trust (issue 22): the lab recomputes epsilon
// from each imported run's configuration with its own accountant, marks the run as imported, and
// writes it out as no guarantee, with the file's claim beside its own figure. Node: the privacy
// client answers on this thread where no Worker exists, with the same functions as the worker.

import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Config } from '../../src/config/config';
import { epsilonAfter } from '../../src/engine/accounting';
import { claimNote, importedPrivacy, loadImported, parseResultsJson } from '../../src/ui/state/results-import';
import { store } from '../../src/ui/state/store';

const BASE: Config = { ...DEFAULT_CONFIG, algo: 'dpsgd', steps: 20, batch: 32, datasetSize: 2048, sigma: 1 };

/** A results file as a hostile or careless sender might write it: the claims are the file's. */
function fileWith(run: { config: Partial<Config>; claim: unknown; seedFixed?: boolean; guaranteed?: boolean }): string {
  const config = { ...BASE, ...run.config };
  const log = [5, 10, 20].map((step) => ({ step, loss: 0.6, epsilon: run.claim }));
  return JSON.stringify({
    lab: 'dp-webgpu-lab',
    runs: [
      {
        algo: config.algo,
        requested: config,
        config,
        seedFixed: run.seedFixed ?? false,
        privacy: { accounting: 'prv-poisson', epsilon: run.claim, guaranteed: run.guaranteed ?? true },
        summary: null,
        log,
      },
    ],
  });
}

async function load(name: string, text: string) {
  const before = store.runs.length;
  await loadImported(name, parseResultsJson(text));
  return store.runs.slice(before);
}

describe('imported results: the lab recomputes, never trusts', () => {
  it('reading a file keeps its epsilon as a claim only, and a seed in its configuration is a fixed seed', () => {
    const [r] = parseResultsJson(fileWith({ config: { sigma: 0, seed: '7' }, claim: 0.5, seedFixed: false }));
    expect(r.log.map((p) => p.epsilon)).toEqual([undefined, undefined, undefined]);
    expect(r.claimedEpsilon).toBe(0.5);
    expect(r.claimedGuaranteed).toBe(true);
    expect(r.seedFixed).toBe(true);
  });

  it("a loaded run keeps the file's own device, as clean text (never this page's device)", () => {
    const doc = JSON.parse(fileWith({ config: {}, claim: 1 }));
    doc.device = { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100\u202e evil' };
    const [r] = parseResultsJson(JSON.stringify(doc));
    expect(r.importedDevice).toBe('NVIDIA H100 evil');
    expect(parseResultsJson(fileWith({ config: {}, claim: 1 }))[0].importedDevice).toBeUndefined();
  });

  it('a sigma 0 run claiming epsilon 0.5 (or -5, 0.001) is epsilon = infinity, no guarantee', async () => {
    for (const claim of [0.5, -5, 0.001]) {
      const [r] = await load('claims.json', fileWith({ config: { sigma: 0 }, claim }));
      expect(r.source).toBe('imported');
      expect(r.log.map((p) => p.epsilon)).toEqual([Infinity, Infinity, Infinity]);
      const p = importedPrivacy(r);
      expect(p.epsilon).toBe(Infinity);
      expect(p.guaranteed).toBe(false);
      expect(p.accounting).toBe('prv-poisson-not-guaranteed');
      expect(p.reasons.join(' ')).toMatch(/imported from claims\.json/);
      expect(p.reasons.join(' ')).toMatch(/sigma 0 adds no noise/);
      expect(claimNote(r)).toBe(`file claims ε ${claim}; recomputed ∞, no privacy`);
    }
  });

  it('a private run: the lab’s own epsilon at each point, the differing claim said as such', async () => {
    const [r] = await load('sigma1.json', fileWith({ config: {}, claim: 0.5 }));
    const own = epsilonAfter(BASE, 1, 20)!;
    expect(own).toBeGreaterThan(0.6);
    expect(r.recomputed?.epsilon).toBe(own);
    expect(r.log.at(-1)!.epsilon).toBe(own);
    expect(claimNote(r)).toBe(`file claims ε 0.5; recomputed ${Number(own.toPrecision(3))}`);
    // never a guarantee: the lab did not train it
    expect(importedPrivacy(r).guaranteed).toBe(false);
    // a file whose claim is the lab's own figure: nothing to say
    const [same] = await load('same.json', fileWith({ config: {}, claim: own }));
    expect(claimNote(same)).toBeUndefined();
  });

  it('a fixed seed in the configuration or shuffled batches: not a guarantee, whatever the file says', async () => {
    const [seeded] = await load('seed.json', fileWith({ config: { seed: '7' }, claim: 0.5, seedFixed: false }));
    expect(seeded.seedFixed).toBe(true);
    expect(importedPrivacy(seeded).reasons.join(' ')).toMatch(/fixed seed/);
    const [shuffled] = await load('shuffle.json', fileWith({ config: { sampling: 'shuffle' }, claim: 0.5 }));
    expect(importedPrivacy(shuffled).reasons.join(' ')).toMatch(/shuffle/i);
  });

  it('a file from before sigma 0 was refused (epsilon null) gets the lab’s figure, not "guaranteed"', async () => {
    const [r] = await load('old.json', fileWith({ config: { sigma: 0 }, claim: null }));
    expect(r.claimedEpsilon).toBeUndefined();
    const p = importedPrivacy(r);
    expect(p.epsilon).toBe(Infinity);
    expect(p.guaranteed).toBe(false);
  });

  it('an imported file name is shown without controls or bidi overrides', async () => {
    const [r] = await load('res\u202eNOSJ.exe\u0007.json', fileWith({ config: {}, claim: 1 }));
    expect(r.importedFrom).toBe('resNOSJ.exe.json');
  });
});
