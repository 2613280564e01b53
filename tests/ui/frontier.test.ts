// The "Privacy vs utility" view in a real browser (system Chromium, WebGPU on SwiftShader): a tiny
// frontier (2 algorithms x 2 targets x 1 seed, a few steps) stopped, resumed and run to the end;
// a point per (algorithm, ε) on the chart; the CSV and JSON hold the points; axe finds nothing
// serious. Waits are on DOM states, never on time.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openLab, WAIT } from './page';
import { launchChromium, startLab, type Lab } from './server';

const SHOTS = 'test-results/screenshots';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const TINY =
  'tables=40,30&dim=4&pooling=2&batch=8&dense=3&bottom=6&top=5&datasetSize=64&evalSize=32&steps=6' +
  '&view=frontier&frontierAlgos=dpsgd,lazydp&frontierEpsilons=2,8';

let lab: Lab;
let browser: Browser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  lab = await startLab();
  browser = await launchChromium();
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  page = await openLab(ctx, lab.url, TINY, errors);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await lab?.close();
});

/** The AUC of one point of a frontier's JSON (one seed: the run's). */
function summaryAuc(points: { algo: string; targetEpsilon: number; auc: number }[], algo: string, eps: number): number {
  return points.find((p) => p.algo === algo && p.targetEpsilon === eps)!.auc;
}

/** The file a button downloads, as text. */
async function download(selector: string): Promise<string> {
  const [d] = await Promise.all([page.waitForEvent('download', WAIT), page.locator(selector).click()]);
  return readFileSync((await d.path())!, 'utf8');
}

async function seriousAxe(): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  return page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(o: unknown): Promise<{ violations: { id: string; impact: string }[] }> } }
    ).axe;
    const r = await axe.run({ resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
  });
}

describe('Privacy vs utility view', () => {
  it('runs a tiny frontier, stops and resumes it, charts a point per (algorithm, ε) and exports them', async () => {
    const view = page.locator('frontier-view');
    expect(await view.locator('.explain').innerText()).toMatch(/calibrates σ/);
    expect(await page.locator('#frontier-eps').inputValue()).toBe('2,8');
    await page.locator('#frontier-run').click();
    await page.waitForSelector('frontier-view[data-frontier="running"]', WAIT);
    // stop while the first round runs: what finished stays, Resume goes on from the next run
    await page.locator('#frontier-stop').click();
    await page.waitForSelector('frontier-view[data-frontier="stopped"]', WAIT);
    expect(await page.locator('#frontier-status').innerText()).toMatch(/of 5 runs; stopped/);
    const before = Number(await page.locator('#frontier-progress').evaluate((p) => (p as HTMLProgressElement).value));
    expect(before).toBeLessThan(5);
    await page.locator('#frontier-resume').click();
    await page.waitForSelector('frontier-view[data-frontier="done"]', WAIT);
    expect(await page.locator('#frontier-status').innerText()).toMatch(/^5 of 5 runs/);

    const series = await page
      .locator('#chart-frontier-auc')
      .evaluate((el) =>
        (
          el as unknown as { spec: { data: { datasets: { label: string; data: { x: number; y: number }[] }[] } } }
        ).spec.data.datasets.map((d) => ({ label: d.label, xs: d.data.map((p) => p.x), ys: d.data.map((p) => p.y) })),
      );
    const byLabel = Object.fromEntries(series.map((s) => [s.label, s]));
    for (const algo of ['DP-SGD', 'LazyDP']) {
      const s = Object.entries(byLabel).find(([l]) => l.startsWith(algo))![1];
      expect(s.xs).toEqual([2, 8]);
      for (const y of s.ys) expect(y).toBeGreaterThanOrEqual(0);
    }
    expect(byLabel['non-private baseline'].ys[0]).toBeGreaterThan(0);
    expect(byLabel['planted teacher (ceiling)'].ys[0]).toBeGreaterThan(0.5);
    expect(Number(await page.locator('#chart-frontier-cost').getAttribute('data-points'))).toBe(8);

    const json = JSON.parse(await download('#frontier-json'));
    expect(json.complete).toBe(true);
    expect(json.points.map((p: { algo: string; targetEpsilon: number }) => `${p.algo} ${p.targetEpsilon}`)).toEqual([
      'dpsgd 2',
      'dpsgd 8',
      'lazydp 2',
      'lazydp 8',
    ]);
    for (const p of json.points) expect(p.epsilon).toBeLessThanOrEqual(p.targetEpsilon + 1e-9);
    expect(json.baseline).toHaveLength(1);
    const csv = (await download('#frontier-csv')).trim().split('\n');
    expect(csv[0]).toMatch(/^algo,target ε,ε,σ,seeds,AUC mean/);
    expect(csv.slice(1).map((l) => l.split(',').slice(0, 2).join(' '))).toEqual([
      'sgd ',
      'dpsgd 2',
      'dpsgd 8',
      'lazydp 2',
      'lazydp 8',
    ]);
    // the AUC in the CSV is the JSON's (one seed: the mean is the run)
    expect(Number(csv[2].split(',')[5])).toBe(json.points[0].auc);
    // the link carries the settings and the frontier measured here; opened, it shows the sender's curves
    await page.locator('#frontier-link').click();
    await page.waitForSelector('#frontier-link-text', WAIT);
    const link = await page.locator('#frontier-link-text').inputValue();
    expect(link).toMatch(/frontierEpsilons=2,8/);
    const lazy8 = summaryAuc(json.points, 'lazydp', 8);
    expect(link).toContain(`lazydp:8:${Number(lazy8.toPrecision(4))}:0:`);
    const other = await openLab(page.context(), lab.url, link.slice(link.indexOf('#') + 1), errors);
    expect(await other.locator('#frontier-shared').innerText()).toMatch(/the sender's frontier \(4 points\)/);
    const theirs = await other
      .locator('#chart-frontier-auc')
      .evaluate((el) =>
        (
          el as unknown as { spec: { data: { datasets: { label: string; data: { x: number }[] }[] } } }
        ).spec.data.datasets.map((d) => `${d.label}: ${d.data.map((p) => p.x).join(' ')}`),
      );
    expect(theirs).toContain('sender · LazyDP: 2 8');
    expect(theirs.some((t) => t.startsWith('planted teacher (ceiling)'))).toBe(true);
    await other.close();
    await page.screenshot({ path: `${SHOTS}/frontier.png`, fullPage: true });
    expect(await seriousAxe()).toEqual([]);
    expect(errors).toEqual([]);
  }, 400_000);

  it('keeps a bad ε as typed, says what is wrong, and carries good settings in the link', async () => {
    await page.locator('#frontier-eps').fill('1,0');
    await page.locator('#frontier-eps').dispatchEvent('change');
    expect(await page.locator('#frontier-error').innerText()).toMatch(
      /target ε: each target must be a number in \(0, 1e6\], got 0/,
    );
    expect(await page.locator('#frontier-eps').inputValue()).toBe('1,0');
    expect(await page.locator('#frontier-run').isDisabled()).toBe(true);
    await page.locator('#frontier-eps').fill('0.5,4');
    await page.locator('#frontier-eps').dispatchEvent('change');
    await page.locator('input[name="frontier-algo"][value="dp-adafest"]').check();
    await page.waitForFunction(() => location.hash.includes('frontierEpsilons=0.5,4'));
    expect(await page.evaluate(() => location.hash)).toMatch(/frontierAlgos=dpsgd,lazydp,dp-adafest/);
    expect(await page.locator('#frontier-error').count()).toBe(0);
  }, 60_000);

  it('says the logical batch, the micro-batch and that ε depends only on the logical batch', async () => {
    const note = page.locator('#micro-batch-note');
    expect(await note.count()).toBe(0);
    await page.locator('#f-microBatch').fill('4');
    await page.waitForSelector('#micro-batch-note');
    expect(await note.innerText()).toMatch(
      /^Logical batch 8 in micro-batches of 4 \(as set\)\..*ε depends only on the logical batch/,
    );
    await page.locator('#f-microBatch').fill('0');
    await page.waitForSelector('#micro-batch-note', { state: 'detached' });
    // a batch too big for the memory limit in one pass: the memory plan chooses, and says so
    const big = await openLab(
      page.context(),
      lab.url,
      'tables=40,30&dim=4&pooling=2&dense=3&bottom=6&top=5&algo=dpsgd&batch=65536&datasetSize=65536&evalSize=32&memoryLimit=0.015625',
      errors,
    );
    await big.waitForSelector('#micro-batch-note');
    expect(await big.locator('#micro-batch-note').innerText()).toMatch(
      /^Logical batch 65,536 in micro-batches of [\d,]+ \(chosen by the memory plan: the whole batch does not fit the memory limit\)/,
    );
    await big.close();
    expect(errors).toEqual([]);
  }, 120_000);
});
