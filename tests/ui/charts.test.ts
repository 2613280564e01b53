// Charts that say what their tables say, fed by a shared link's numbers (the sender's stage
// medians, step medians, p10-p90 spreads and sweep), so no training is needed: the stage chart
// marks each bar's step median where the table's step column has it, and the sweep chart's time
// axis reaches every p90 whisker. Chromium with WebGPU on SwiftShader.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openLab } from './page';
import { launchChromium, startLab, type Lab } from './server';

const SMALL =
  'tables=512,256&dim=8&pooling=2&batch=32&bottom=16&top=16&steps=24&evalEvery=8&evalSize=256&datasetSize=2048';
// DP-SGD: stage medians summing to 10 ms, a step median of 40 ms (p10-p90 30-92); LazyDP: 6 and 7 ms
const SHARED =
  'r.dev=Test%20GPU&r.timing=gpu-timestamp&r.dpsgd=1_2_3_1_2_1_40_30_92_50&r.lazydp=1_1_1_1_1_1_7_6_9_50' +
  '&r.sweep=dpsgd:1000:10:8:92,dpsgd:4000:20:15:147,lazydp:1000:5:4:6,lazydp:4000:5:4:7';
const P90S = [92, 147, 6, 7];

let lab: Lab;
let browser: Browser;
const errors: string[] = [];

beforeAll(async () => {
  lab = await startLab();
  browser = await launchChromium();
}, 240_000);

afterEach(() => {
  expect(errors.splice(0), 'uncaught page errors').toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await lab?.close();
});

async function open(fragment: string): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  return openLab(ctx, lab.url, fragment, errors);
}

/** A chart's data table (opened), as its header and rows of cell text. */
async function chartRows(p: Page, id: string): Promise<{ head: string[]; rows: string[][] }> {
  await p.locator(`lab-chart#${id} details summary`).click();
  const table = p.locator(`[data-table-for="${id}"]`);
  await table.waitFor();
  return table.evaluate((t: HTMLTableElement) => ({
    head: [...t.tHead!.rows[0].cells].map((c) => c.textContent!.trim()),
    rows: [...t.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent!.trim())),
  }));
}

describe('charts agree with their tables', () => {
  it('the stage chart marks the step median of the table; the axis holds the marks and whiskers', async () => {
    const p = await open(`${SMALL}&view=stages&${SHARED}`);
    await p.locator('#stages-table').waitFor();
    const table = await p
      .locator('#stages-table tr[data-from]')
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-step-ms'))));
    expect(table).toEqual([40, 7]);
    const chart = await chartRows(p, 'chart-stages');
    const col = chart.head.indexOf('step median');
    expect(col).toBeGreaterThan(0);
    expect(chart.rows.map((r) => Number(r[col]))).toEqual(table);
    expect(Number(await p.locator('lab-chart#chart-stages').getAttribute('data-x-max'))).toBeGreaterThanOrEqual(92);
    expect(await p.locator('[data-stage-chart-says]').innerText()).toMatch(/step median/);
    await p.locator('lab-chart#chart-stages').screenshot({ path: 'test-results/screenshots/stage-marker.png' });
    await p.context().close();
  });

  it('the sweep chart shows every p90 whisker of a shared sweep, on a linear and a log axis', async () => {
    const p = await open(`${SMALL}&view=sweep&${SHARED}`);
    const chart = p.locator('lab-chart#chart-sweep');
    await p.locator('lab-chart#chart-sweep[data-y-max]').waitFor();
    expect(Number(await chart.getAttribute('data-y-max'))).toBeGreaterThanOrEqual(Math.max(...P90S));
    await p.locator('#sweep-log').check();
    await p.locator('lab-chart#chart-sweep[data-y-scale="logarithmic"]').waitFor();
    expect(Number(await chart.getAttribute('data-y-max'))).toBeGreaterThanOrEqual(Math.max(...P90S));
    await p.context().close();
  });
});
