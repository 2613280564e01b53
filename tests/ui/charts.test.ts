// Charts that say what their tables say, fed by a shared link's numbers (the sender's stage
// medians, step medians, p10-p90 spreads and sweep), so no training is needed: the stage chart
// marks each bar's step median where the table's step column has it, and the sweep chart's time
// axis reaches every p90 whisker. Chromium with WebGPU on SwiftShader.

import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Chart } from 'chart.js';
import { until, useLab } from './page';
import { ALGORITHMS } from '../../src/algorithms';

const SMALL =
  'tables=512,256&dim=8&pooling=2&batch=32&bottom=16&top=16&steps=24&evalEvery=8&evalSize=256&datasetSize=2048';
// DP-SGD: stage medians summing to 10 ms, a step median of 40 ms (p10-p90 30-92); LazyDP: 6 and 7 ms
const SHARED =
  'r.dev=Test%20GPU&r.timing=gpu-timestamp&r.dpsgd=1_2_3_1_2_1_40_30_92_50&r.lazydp=1_1_1_1_1_1_7_6_9_50' +
  '&r.sweep=dpsgd:1000:10:8:92,dpsgd:4000:20:15:147,lazydp:1000:5:4:6,lazydp:4000:5:4:7';
const P90S = [92, 147, 6, 7];

const { open } = useLab();

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
    // every column of the table is named; the page has its one level-one heading
    expect(await p.locator('#stages-table th').allInnerTexts()).not.toContain('');
    expect(await p.locator('h1').count()).toBe(1);
    // a total that needs no second spelling is not repeated
    expect(await p.locator('tables-editor .total').innerText()).toBe('2 tables, 768 rows in all');
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

describe('comparing runs', () => {
  it('two overlaid runs of one algorithm get two legend entries, labelled by what differs, in two dashes; smoothing, zoom and hover', async () => {
    const p = await open(`${SMALL.replace('steps=24', 'steps=6')}&evalEvery=0&algo=dpsgd&sigma=1&autorun=1`);
    const finished = (n: number) =>
      p.waitForFunction(
        (k) =>
          (
            window as unknown as { __dpLab: { store: { runs: { summary?: unknown }[]; status: string } } }
          ).__dpLab.store.runs.filter((r) => r.summary).length === k,
        n,
        { timeout: 180_000 },
      );
    await finished(1);
    await p.locator('input[name="sigma"]').fill('0.5');
    await until(p, 'run-controls[data-status="idle"], run-controls[data-status="done"]');
    await p.locator('#train').click();
    await finished(2);
    await p.locator('input[name="sigma"]').fill('2'); // both runs are now earlier ones
    const boxes = p.locator('#run-list li[data-algo="dpsgd"] input[data-overlay]');
    await expect.poll(() => boxes.count()).toBe(2);
    for (const b of await boxes.all()) await b.check();
    const sets = await p
      .locator('lab-chart#chart-loss')
      .evaluate((el) =>
        (
          el as unknown as { spec: { data: { datasets: { label: string; borderDash?: number[] }[] } } }
        ).spec.data.datasets
          .filter((d) => !d.label.endsWith('(raw)'))
          .map((d) => ({ label: d.label, dash: JSON.stringify(d.borderDash ?? []) })),
      );
    expect(sets).toHaveLength(2);
    expect(sets.map((d) => d.label.replace(/^.*\(/, '('))).toEqual(['(σ 0.5)', '(σ 1)']);
    expect(sets[0].dash).not.toBe(sets[1].dash);
    // the run list shows each overlay's dash beside its label
    const listed = await p
      .locator('#run-list li[data-algo="dpsgd"] svg[data-dash]')
      .evaluateAll((s) => s.map((e) => e.getAttribute('data-dash')));
    expect(new Set(listed).size).toBe(2);
    // the smoothing control: each curve smoothed with its raw batches faint behind, or raw alone at 0
    const count = () =>
      p
        .locator('lab-chart#chart-loss')
        .evaluate((el) => (el as unknown as { spec: { data: { datasets: unknown[] } } }).spec.data.datasets.length);
    expect(await count()).toBe(4);
    await p.locator('#smoothing').fill('0');
    expect(await p.locator('output[for="smoothing"]').innerText()).toBe('0.00');
    expect(await count()).toBe(2);
    // zoom on the step axis by dragging across the loss chart from step 1.5 to 4.5: the three
    // charts show steps 1 to 5, the step fields say so, and Reset zoom shows every step again
    const lossChart = p.locator('lab-chart#chart-loss');
    const fullMax = await lossChart.getAttribute('data-x-max');
    const at = await lossChart.evaluate((el) => {
      const c = (el as unknown as { chart: Chart }).chart;
      const box = c.canvas.getBoundingClientRect();
      const x = c.scales.x;
      return {
        left: box.left,
        y: box.top + (c.chartArea.top + c.chartArea.bottom) / 2,
        px: [x.getPixelForValue(1.5), x.getPixelForValue(4.5)],
      };
    });
    await p.mouse.move(at.left + at.px[0], at.y);
    await p.mouse.down();
    await p.mouse.move(at.left + (at.px[0] + at.px[1]) / 2, at.y, { steps: 4 });
    expect(await lossChart.locator('.band').isVisible()).toBe(true);
    await p.mouse.move(at.left + at.px[1], at.y, { steps: 4 });
    await p.mouse.up();
    for (const id of ['loss', 'eps'])
      await p.locator(`lab-chart#chart-${id}[data-x-min="1"][data-x-max="5"]`).waitFor();
    expect([await p.locator('#zoom-from').inputValue(), await p.locator('#zoom-to').inputValue()]).toEqual(['1', '5']);
    expect(await lossChart.locator('.band').isVisible()).toBe(false);
    await p.locator('#zoom-reset').click();
    await p.locator(`lab-chart#chart-loss[data-x-min="0"][data-x-max="${fullMax}"]`).waitFor();
    // a click without a drag is no zoom
    await p.mouse.click(at.left + at.px[0], at.y);
    expect(await p.locator('#zoom-reset').isDisabled()).toBe(true);
    // the same by keyboard, with the step fields; a range the wrong way round says what to change
    await p.locator('#zoom-from').fill('2');
    await p.locator('#zoom-to').fill('4');
    await p.locator('#zoom-to').press('Enter');
    await p.locator('lab-chart#chart-loss[data-x-max="4"]').waitFor();
    expect(await p.locator('lab-chart#chart-auc').count()).toBe(1);
    await p.locator('#zoom-reset').click();
    await p.locator(`lab-chart#chart-loss[data-x-max="${fullMax}"]`).waitFor();
    await p.locator('#zoom-from').fill('5');
    await p.locator('#zoom-to').fill('1');
    await p.locator('#zoom-to').press('Enter');
    expect(await p.locator('[data-zoom-error]').innerText()).toMatch(/“to” step above the “from”/);
    expect(await p.locator('#zoom-to').inputValue()).toBe('1');
    // hovering reads every curve at the step under the pointer, not only the nearest one
    await p.locator('lab-chart#chart-loss canvas').hover();
    const loss = await p.locator('lab-chart#chart-loss').elementHandle();
    await p.waitForFunction(
      (el) =>
        ((el as unknown as { chart?: { tooltip?: { dataPoints?: unknown[] } } }).chart?.tooltip?.dataPoints?.length ??
          0) === 2,
      loss,
    );
    // "Train all" after the main run: the status line names the run, how far it is and of how many
    // runs, not the finished main run
    // the runs go by fast at this size: every status line shown is kept, frame by frame, so that
    // none is missed between two polls of a locator
    await p.evaluate(() => {
      const w = window as unknown as { statusSeen: string[] };
      w.statusSeen = [];
      const find = (root: Document | ShadowRoot): Element | null => {
        const el = root.querySelector('[data-status-job="compare"]');
        if (el) return el;
        for (const h of root.querySelectorAll('*')) {
          const f = h.shadowRoot ? find(h.shadowRoot) : null;
          if (f) return f;
        }
        return null;
      };
      const tick = () => {
        const t = find(document)?.textContent?.replace(/\s+/g, ' ').trim();
        if (t && w.statusSeen.at(-1) !== t) w.statusSeen.push(t);
        requestAnimationFrame(tick);
      };
      tick();
    });
    await p.locator('#train-all').click();
    const status = p.locator('run-controls [data-status-job="compare"]');
    await status.waitFor();
    const label = (i: number) => ALGORITHMS[i].label.replace(/[()]/g, '\\$&');
    const n = ALGORITHMS.length;
    const seen = async (re: RegExp) => {
      const lines = () => p.evaluate(() => (window as unknown as { statusSeen: string[] }).statusSeen);
      await p
        .waitForFunction(
          (src) => (window as unknown as { statusSeen: string[] }).statusSeen.some((t) => new RegExp(src).test(t)),
          re.source,
          { timeout: 120_000 },
        )
        .catch(async (e: Error) => {
          throw new Error(`${e.message}\nno status line matched ${re}; seen: ${JSON.stringify(await lines())}`);
        });
    };
    await seen(new RegExp(`^training · ${label(1)} · (starting|step \\d+ of \\d+) · 2nd of ${n} runs`));
    await seen(new RegExp(`^training · ${label(0)} · step \\d+ of 6 · 1st of ${n} runs`));
    // the six tiny runs end by themselves (a Cancel here could come after the last one)
    await status.waitFor({ state: 'detached', timeout: 180_000 });
    await p.context().close();
  }, 200_000);

  it('a loaded complete run is not "(unfinished)", and says nothing about this device’s timer', async () => {
    const p = await open(`${SMALL}&view=stages`);
    const config = { tables: [512, 256], dim: 8, batch: 32, steps: 4, algo: 'lazydp' };
    const log = [1, 2, 3, 4].map((step) => ({ step, loss: 0.7 - step / 100, epsilon: step / 10 }));
    const doc = { lab: 'dp-webgpu-lab', runs: [{ algo: 'lazydp', config, summary: { log } }] };
    await p.locator('#tab-train').click();
    await p.locator('#load-results').setInputFiles({
      name: 'colleague.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(doc)),
    });
    const row = p.locator('#run-list li[data-imported="1"] [data-progress]');
    await row.waitFor();
    expect(await row.innerText()).toMatch(/^4 steps/);
    expect(await row.innerText()).not.toMatch(/unfinished/);
    await p.locator('#tab-stages').click();
    await p.locator('stages-view #run-all').waitFor();
    expect(await p.locator('[data-timing-note="cpu"]').count()).toBe(0);
    await p.context().close();
  });
});
