// Measurements people can trust (issue 12): spread (p10-p90) beside every median, warm-up and
// interleaved rounds in "Run all four algorithms", links that carry date, browser, steps and
// spread, runs kept with their configuration. Chromium with WebGPU on SwiftShader; tiny sizes.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { NOISY_RATIO } from '../../src/ui/charts/spread';
import { WARMUP } from '../../src/ui/state/jobs';
import { decodeState } from '../../src/config/url';
import { labReady, openLab, until as untilBanner } from './page';
import { launchChromium, startLab, type Lab } from './server';
import { ALGOS } from '../../src/config/config';

const TINY =
  'tables=256,128&dim=4&pooling=2&batch=16&bottom=8&top=8&steps=40&evalEvery=0&evalSize=128&datasetSize=1024' +
  '&benchSteps=8&sweepFrom=8&sweepTo=10&sweepPoints=2&sweepSteps=6';
const WAIT = { timeout: 120_000 };
const LONG = 150_000;

let lab: Lab;
let browser: Browser;
let context: BrowserContext;
const errors: string[] = [];

const open = (fragment: string) => openLab(context, lab.url, fragment, errors, WAIT);
const until = (p: Page, selector: string) => untilBanner(p, selector, WAIT);

beforeAll(async () => {
  lab = await startLab();
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: lab.url });
}, 240_000);

afterEach(() => {
  const seen = errors.splice(0);
  expect(seen, 'uncaught page errors').toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await lab?.close();
});

describe('measurements people can trust', () => {
  it(
    'shows p10-p90 beside each median, whiskers in the chart data and a noisy note when wide',
    async () => {
      const page = await open(TINY + '&algo=dpsgd');
      await page.locator('nav button[data-view="stages"]').click();
      await page.locator('#run-all').click();
      await until(page, '#stages-table tr[data-algo="lazydp-exact"]');
      await page.waitForSelector('#run-all:not([disabled])', WAIT);
      let anyNoisy = false;
      for (const a of ALGOS) {
        const row = page.locator(`#stages-table tr[data-algo="${a}"]`);
        const [p10, med, p90, steps] = await Promise.all(
          ['data-p10', 'data-step-ms', 'data-p90', 'data-timed-steps'].map(async (k) =>
            Number(await row.getAttribute(k)),
          ),
        );
        expect(p10, a).toBeGreaterThan(0);
        expect(p10, a).toBeLessThanOrEqual(med);
        expect(med, a).toBeLessThanOrEqual(p90);
        expect(steps, a).toBe(8); // all the timed steps, pooled over the rounds; the warm-up pass left out
        expect(Number(await row.getAttribute('data-steps-done')), a).toBe(WARMUP + 8);
        const spreadRow = page.locator(`#stages-table tr[data-spread-for="${a}"][data-spread-from="here"]`);
        expect(await spreadRow.innerText()).toMatch(/step p10–p90 .+–.+ · 8 steps measured/);
        anyNoisy ||= p90 / p10 > NOISY_RATIO;
      }
      // the note follows the numbers, whichever way this run went
      expect(await page.locator('[data-timing-note="noisy"]').count()).toBe(anyNoisy ? 1 : 0);
      expect(await page.locator('[data-step-column]').innerText()).toMatch(/median of the per-step sums/);
      // the whiskers are data: the chart's CSV has the step p10 and p90 of each bar
      const csv = await page
        .locator('lab-chart#chart-stages')
        .evaluate((el) => (el as unknown as { toCsv(): string }).toCsv());
      const lines = csv.trim().split('\n');
      expect(lines[0]).toMatch(/step p10,step p90$/);
      expect(lines.length).toBe(1 + ALGOS.length);
      for (const l of lines.slice(1))
        expect(
          l
            .split(',')
            .slice(-2)
            .every((v) => Number(v) > 0),
        ).toBe(true);
      await page.close();
    },
    LONG,
  );

  it(
    'the sweep shows p10-p90 per point and its time axis can be logarithmic',
    async () => {
      const page = await open(TINY + '&algo=dpsgd');
      await page.locator('nav button[data-view="sweep"]').click();
      await page.locator('#run-sweep').click();
      await until(page, 'sweep-view[data-sweep="running"]');
      await until(page, 'sweep-view[data-sweep="done"]');
      const chart = page.locator('lab-chart#chart-sweep');
      expect(Number(await chart.getAttribute('data-points'))).toBe(2 * ALGOS.length); // whiskers are no extra points
      const csv = await chart.evaluate((el) => (el as unknown as { toCsv(): string }).toCsv());
      const lines = csv.trim().split('\n');
      expect(lines[0]).toMatch(/,p10,p90$/);
      expect(lines.length).toBe(1 + 2 * ALGOS.length);
      for (const l of lines.slice(1)) {
        const [, , y, p10, p90] = l.split(',').map(Number);
        expect(p10).toBeLessThanOrEqual(y);
        expect(y).toBeLessThanOrEqual(p90);
      }
      expect(await page.locator('#sweep-table').innerText()).toMatch(/p10–p90/);
      expect(await chart.getAttribute('data-log-time')).toBe('off');
      await page.locator('#sweep-log').check();
      await page.waitForSelector('lab-chart#chart-sweep[data-log-time="on"]');
      // the chart itself switched its y scale, and back
      await page.waitForSelector('lab-chart#chart-sweep[data-y-scale="logarithmic"]');
      await page.locator('#sweep-log').uncheck();
      await page.waitForSelector('lab-chart#chart-sweep[data-y-scale="linear"]');
      await page.close();
    },
    LONG,
  );

  it(
    'a shared link carries the date, browser, steps, spread and sweep, and the reader sees them',
    async () => {
      const page = await open(TINY.replace('sweepTo=10&sweepPoints=2', 'sweepTo=8&sweepPoints=1') + '&algo=dpsgd');
      await page.locator('nav button[data-view="sweep"]').click();
      await page.locator('#run-sweep').click();
      await until(page, 'sweep-view[data-sweep="running"]');
      await until(page, 'sweep-view[data-sweep="done"]');
      await page.locator('nav button[data-view="stages"]').click();
      await page.locator('#run-all').click();
      await until(page, '#stages-table tr[data-algo="lazydp-exact"]');
      await page.waitForSelector('#run-all:not([disabled])', WAIT);
      await page.locator('nav button[data-view="train"]').click();
      await page.locator('#share').click();
      const link = await page.locator('#share-link').inputValue();
      const { state, issues } = decodeState(link);
      expect(issues).toEqual([]);
      const r = state.results!;
      expect(r.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/);
      expect(Math.abs(Date.parse(r.date!) - Date.now())).toBeLessThan(24 * 3600e3); // today's, not a made-up date
      expect(r.browser).toMatch(/^Chrome \d+/);
      for (const a of ALGOS) {
        expect(r.algos[a]!.steps, a).toBe(8);
        expect(r.algos[a]!.spread!.p10, a).toBeLessThanOrEqual(r.algos[a]!.stepMs * 1.01);
        expect(r.algos[a]!.spread!.p90, a).toBeGreaterThanOrEqual(r.algos[a]!.stepMs / 1.01);
      }
      expect(r.sweep!.map((p) => p.algo).sort()).toEqual([...ALGOS].sort());
      expect(r.sweep!.every((p) => p.totalRows === 256 && p.spread !== undefined)).toBe(true);
      await page.close();

      const reader = await context.newPage();
      reader.on('pageerror', (e) => errors.push(e.message));
      await reader.goto(link);
      await labReady(reader, WAIT);
      await reader.locator('nav button[data-view="stages"]').click();
      await reader.locator('#shared-card').waitFor();
      expect(await reader.locator('[data-shared-date]').innerText()).toBe(
        r.date!.replace('T', ' ').replace('Z', ' UTC'),
      );
      expect(await reader.locator('[data-shared-browser]').innerText()).toBe(r.browser);
      expect(await reader.locator('[data-shared-algo="dpsgd"]').innerText()).toMatch(/p10–p90 .+, 8 steps/);
      expect(await reader.locator('[data-shared-sweep]').count()).toBe(1);
      const sent = reader.locator('#stages-table tr[data-spread-for="lazydp"][data-spread-from="sender"]');
      expect(await sent.innerText()).toMatch(/8 steps measured/);
      expect(
        Number(
          await reader.locator('#stages-table tr[data-from="sender"][data-algo="lazydp"]').getAttribute('data-p90'),
        ),
      ).toBe(r.algos.lazydp!.spread!.p90);
      // the sender's sweep, dashed, in the sweep view
      await reader.locator('nav button[data-view="sweep"]').click();
      await reader.locator('[data-sweep-shared]').waitFor();
      expect(Number(await reader.locator('lab-chart#chart-sweep').getAttribute('data-points'))).toBe(ALGOS.length);
      await reader.close();
    },
    LONG,
  );

  it(
    'keeps earlier runs with their configuration and overlays the ones chosen (run-list overlay)',
    async () => {
      const page = await open(TINY.replace('steps=40', 'steps=12') + '&algo=dpsgd');
      await page.locator('#train').click();
      await until(page, 'run-controls[data-status="done"][data-steps="12"]');
      expect(await page.locator('#run-list li').count()).toBe(0); // nothing earlier yet
      await page.locator('input[name="sigma"]').fill('0.5');
      await page.waitForFunction(() => location.hash.includes('sigma=0.5'));
      // the σ 1 run left the current curves and waits in the run list, labelled by what differs
      const item = page.locator('#run-list li[data-algo="dpsgd"]');
      await item.waitFor();
      expect(await item.locator('[data-diff]').innerText()).toBe('σ 1');
      await page.locator('#train').click();
      await until(page, 'run-controls[data-status="done"][data-steps="12"]');
      const loss = page.locator('lab-chart#chart-loss');
      const before = Number(await loss.getAttribute('data-points'));
      expect(before).toBeGreaterThan(0);
      await item.locator('input[data-overlay]').check();
      await page.waitForFunction((n) => {
        const el = document
          .querySelector('dp-lab')!
          .shadowRoot!.querySelector('train-view')!
          .shadowRoot!.querySelector('lab-chart#chart-loss')!;
        return Number(el.getAttribute('data-points')) > n;
      }, before);
      const csv = await loss.evaluate((el) => (el as unknown as { toCsv(): string }).toCsv());
      expect(csv).toMatch(/^DP-SGD \(eager\) \(σ 1\),/m);
      // a second edit: both earlier runs are listed, each with its own difference
      await page.locator('input[name="batch"]').fill('8');
      await page.waitForFunction(() => location.hash.includes('batch=8'));
      await page.waitForFunction(() => {
        const v = document.querySelector('dp-lab')!.shadowRoot!.querySelector('train-view')!.shadowRoot!;
        return v.querySelectorAll('#run-list li').length === 2;
      });
      const labels = await page.locator('#run-list [data-diff]').allInnerTexts();
      expect(labels.sort()).toEqual(['batch 16', 'batch 16, σ 1']);
      // unticking takes the overlay off again
      await page.locator('#run-list li input[data-overlay]:checked').uncheck();
      expect(await page.locator('#run-list li input[data-overlay]:checked').count()).toBe(0);
      await page.close();
    },
    LONG,
  );

  it(
    "loads a colleague's results JSON and overlays its runs",
    async () => {
      const fragment = TINY.replace('steps=40', 'steps=12') + '&algo=dpsgd';
      const sender = await open(fragment);
      await sender.locator('#train').click();
      await until(sender, 'run-controls[data-status="done"][data-steps="12"]');
      const [json] = await Promise.all([sender.waitForEvent('download'), sender.locator('#download-json').click()]);
      const path = (await json.path())!;
      await sender.close();

      const page = await open(fragment.replace('&algo=dpsgd', '&algo=dpsgd&sigma=0.5'));
      await page.locator('nav button[data-view="train"]').click();
      // a file that is not a results download: one message, nothing loaded
      await page
        .locator('#load-results')
        .setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"lab":"other"}') });
      expect(await page.locator('[data-import-error]').innerText()).toMatch(
        /Could not load notes\.json: not a results file of this lab/,
      );
      expect(await page.locator('#run-list li').count()).toBe(0);
      expect(Number(await page.locator('lab-chart#chart-loss').getAttribute('data-points'))).toBe(0);
      await page.locator('#load-results').setInputFiles(path);
      const item = page.locator('#run-list li[data-imported="1"][data-algo="dpsgd"]');
      await item.waitFor();
      expect(await item.locator('[data-diff]').innerText()).toMatch(/: σ 1$/);
      expect(await item.locator('input[data-overlay]').isChecked()).toBe(true);
      await page.waitForSelector('lab-chart#chart-loss:not([data-points="0"])');
      expect(await page.locator('[data-import-error]').count()).toBe(0);
      // a colleague's run is never taken for a measurement made here
      await page.locator('nav button[data-view="stages"]').click();
      expect(await page.locator('#stages-table').count()).toBe(0);
      await page.close();
    },
    LONG,
  );
});
