// The lab on any screen and by any hand: phone and tablet widths (no sideways scroll, Train on
// the first screen), keyboard-only operation, an automated accessibility check (axe-core) and
// Back/Forward through configurations. Chromium with WebGPU on SwiftShader, as in lab.test.ts;
// every wait is on a DOM state the components set.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { labReady, openLab, until } from './page';
import { launchChromium, startLab, type Lab } from './server';

const SHOTS = 'test-results/screenshots';
const SMALL =
  'tables=512,256&dim=8&pooling=2&batch=32&bottom=16&top=16&steps=24&evalEvery=8&evalSize=256&datasetSize=2048' +
  '&benchSteps=6&sweepFrom=8&sweepTo=12&sweepPoints=3&sweepSteps=3';
const LONG = 200_000;
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let lab: Lab;
let browser: Browser;
const errors: string[] = [];

async function open(
  fragment: string,
  width: number,
  height: number,
  extra: { colorScheme?: 'dark' | 'light' } = {},
): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width, height }, ...extra });
  return openLab(ctx, lab.url, fragment, errors);
}

/** How far the page scrolls sideways, and the outermost elements (across shadow roots) that stick out. */
async function sideways(p: Page): Promise<number> {
  const r = await p.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const out: string[] = [];
    const walk = (root: ParentNode) => {
      for (const el of root.querySelectorAll('*')) {
        const b = el.getBoundingClientRect();
        if (b.right > w + 0.5 && out.length < 6)
          out.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(b.right)}`);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    return { over: document.documentElement.scrollWidth - w, out };
  });
  if (r.over > 0) console.log('sticking out:', r.out.join('; '));
  return r.over;
}

/** The deepest focused element across shadow roots, as "tag#id". */
const focused = (p: Page) =>
  p.evaluate(() => {
    let a: Element | null = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
    return a ? `${a.tagName.toLowerCase()}${a.id ? '#' + a.id : ''}` : '';
  });

async function pressUntil(p: Page, key: string, target: string, max = 60): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await p.keyboard.press(key);
    if ((await focused(p)) === target) return i;
  }
  throw new Error(`${target} not reached in ${max} presses of ${key} (at ${await focused(p)})`);
}

/** axe-core in the page (it pierces open shadow roots); the violations of impact serious or worse. */
async function axe(p: Page): Promise<string[]> {
  await p.addScriptTag({ content: AXE });
  return p.evaluate(async () => {
    const r = await (
      window as unknown as {
        axe: {
          run(o?: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: unknown }[] }[] }>;
        };
      }
    ).axe.run({
      resultTypes: ['violations'],
    });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id} (${v.impact}): ${v.nodes
            .slice(0, 3)
            .map((n) => JSON.stringify(n.target))
            .join(' ')}`,
      );
  });
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  lab = await startLab();
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await lab?.close();
});

describe('lab layout, keyboard and screen readers (Chromium, WebGPU on SwiftShader)', () => {
  for (const [width, height] of [
    [390, 844],
    [800, 1000],
    [360, 640],
  ] as const) {
    it(
      `at ${width} px: no sideways scroll, Train on the first screen, header actions reachable`,
      async () => {
        const p = await open(SMALL, width, height);
        expect(await sideways(p)).toBeLessThanOrEqual(0);
        // the view tabs: one row (scrolling sideways inside the tab list), not three
        const tabTops = await p
          .locator('nav [role="tab"]')
          .evaluateAll((ts) => ts.map((t) => t.getBoundingClientRect().top));
        expect(new Set(tabTops).size).toBe(1);
        const train = await p.locator('#train').boundingBox();
        expect(train).not.toBeNull();
        expect(train!.y + train!.height).toBeLessThanOrEqual(height);
        expect(train!.x + train!.width).toBeLessThanOrEqual(width);
        // the header's actions fold into a menu; opened, Share is on screen and nothing spills
        const menu = p.locator('#menu-toggle');
        if (await menu.isVisible()) {
          expect(await p.locator('#share').isVisible()).toBe(false);
          await menu.click();
          expect(await menu.getAttribute('aria-expanded')).toBe('true');
        }
        const share = await p.locator('#share').boundingBox();
        expect(share!.x + share!.width).toBeLessThanOrEqual(width);
        expect(await sideways(p)).toBeLessThanOrEqual(0);
        // the configuration is a section after the run controls, opened on demand
        const cfg = p.locator('.cfg-toggle');
        expect(await cfg.isVisible()).toBe(true);
        expect((await cfg.boundingBox())!.y).toBeGreaterThan(train!.y);
        await cfg.click();
        await p.locator('input[name="dim"]').waitFor();
        expect(await sideways(p)).toBeLessThanOrEqual(0);
        // a 10-digit table size fits its box
        const box = p.locator('input[name="table0"]');
        await box.fill('2147483648');
        const fits = await box.evaluate((el: HTMLInputElement) => el.scrollWidth <= el.clientWidth);
        expect(fits).toBe(true);
        await box.fill('1e3');
        await p.waitForFunction(() => location.hash.includes('tables=1000,256'));
        await box.fill('1Ki');
        await p.waitForFunction(() => location.hash.includes('tables=1024,256'));
        // every view stays inside the screen
        for (const v of ['train', 'stages', 'sweep', 'teach', 'device', 'frontier']) {
          await p.locator(`nav button[data-view="${v}"]`).click();
          await p.waitForSelector(`dp-lab[data-view="${v}"]`);
          expect(await sideways(p), `view ${v}`).toBeLessThanOrEqual(0);
        }
        await p.screenshot({ path: `${SHOTS}/layout-${width}.png`, fullPage: true });
        await p.context().close();
      },
      LONG,
    );
  }

  it(
    'at 390 px a trained run keeps the runs table inside its card',
    async () => {
      const p = await open(SMALL.replace('steps=24', 'steps=4') + '&autorun=1&algo=dpsgd', 390, 844);
      await until(p, 'run-controls[data-status="done"]');
      await p.locator('#runs-table').waitFor();
      expect(await sideways(p)).toBeLessThanOrEqual(0);
      const card = await p.locator('#runs-table').evaluate((t) => {
        const wrap = t.parentElement!;
        const cardBox = wrap.closest('.card')!.getBoundingClientRect();
        const w = wrap.getBoundingClientRect();
        return { wrapRight: w.right, cardRight: cardBox.right, overflow: getComputedStyle(wrap).overflowX };
      });
      expect(card.wrapRight).toBeLessThanOrEqual(card.cardRight);
      expect(card.overflow).toBe('auto');
      await p.screenshot({ path: `${SHOTS}/layout-390-trained.png`, fullPage: true });
      await p.context().close();
    },
    LONG,
  );

  it(
    'keyboard only: skip link to the run controls, train, pause, and the view tabs by arrow keys',
    async () => {
      const p = await open(SMALL.replace('steps=24', 'steps=5000') + '&algo=lazydp', 1400, 900);
      await p.keyboard.press('Tab');
      expect(await focused(p)).toBe('button#skip');
      await p.keyboard.press('Enter');
      expect(await focused(p)).toBe('button#train');
      await p.keyboard.press('Enter');
      await until(p, 'run-controls[data-status="running"]');
      await pressUntil(p, 'Tab', 'button#pause', 6);
      await p.keyboard.press('Enter');
      await until(p, 'run-controls[data-status="paused"]');
      const pausedAt = Number(await p.locator('run-controls').getAttribute('data-steps'));
      expect(pausedAt).toBeLessThan(5000);
      // one Tab stop for the whole tab list (the open view), arrows move and open
      await pressUntil(p, 'Tab', 'button#tab-train');
      const tab = p.locator('#tab-train');
      expect(await tab.getAttribute('aria-selected')).toBe('true');
      expect(await tab.getAttribute('aria-controls')).toBe('panel-train');
      expect(await p.locator('#panel-train').getAttribute('role')).toBe('tabpanel');
      expect(await p.locator('#panel-train').getAttribute('aria-labelledby')).toBe('tab-train');
      await p.keyboard.press('ArrowRight');
      await p.waitForSelector('dp-lab[data-view="stages"]');
      expect(await focused(p)).toBe('button#tab-stages');
      expect(await p.locator('#tab-stages').getAttribute('tabindex')).toBe('0');
      expect(await p.locator('#tab-train').getAttribute('tabindex')).toBe('-1');
      await p.keyboard.press('End'); // the last view (privacy vs utility)
      await p.waitForSelector('dp-lab[data-view="frontier"]');
      await p.keyboard.press('ArrowRight');
      await p.waitForSelector('dp-lab[data-view="train"]');
      await p.keyboard.press('ArrowLeft');
      await p.waitForSelector('dp-lab[data-view="frontier"]');
      await p.keyboard.press('Home');
      await p.waitForSelector('dp-lab[data-view="train"]');
      expect(await focused(p)).toBe('button#tab-train');
      // Tab from the tab list goes into the open panel, not along the other tabs
      await p.keyboard.press('Tab');
      expect(await focused(p)).toBe('section#panel-train');
      // the run resumes from the keyboard too
      await p.locator('#train').focus();
      await p.keyboard.press('Enter');
      await until(p, 'run-controls[data-status="running"]');
      await p.locator('#pause').focus();
      await p.keyboard.press('Space');
      await until(p, 'run-controls[data-status="paused"]');
      expect(Number(await p.locator('run-controls').getAttribute('data-steps'))).toBeGreaterThan(pausedAt);
      await p.context().close();
    },
    LONG,
  );

  for (const scheme of ['light', 'dark'] as const) {
    it(
      `axe-core finds no serious or critical violation on any view (${scheme} theme)`,
      async () => {
        const p = await open(SMALL.replace('steps=24', 'steps=8') + '&autorun=1&algo=dpsgd', 1400, 900, {
          colorScheme: scheme,
        });
        await until(p, 'run-controls[data-status="done"]');
        await p.locator('lab-chart#chart-loss details summary').click(); // the data table, open
        await p.locator('[data-table-for="chart-loss"]').waitFor();
        const found: string[] = [];
        for (const v of ['train', 'stages', 'sweep', 'teach', 'device', 'frontier']) {
          await p.locator(`nav button[data-view="${v}"]`).click();
          await p.waitForSelector(`dp-lab[data-view="${v}"]`);
          found.push(...(await axe(p)).map((x) => `${v}: ${x}`));
        }
        // the narrow layout, menu and configuration open
        await p.setViewportSize({ width: 390, height: 844 });
        await p.locator('#menu-toggle').click();
        await p.locator('.cfg-toggle').click();
        found.push(...(await axe(p)).map((x) => `390 px: ${x}`));
        await p.screenshot({ path: `${SHOTS}/a11y-${scheme}.png`, fullPage: true });
        expect(found).toEqual([]);
        await p.context().close();
      },
      LONG,
    );
  }

  it(
    'every chart has an accessible name, a data table and a CSV of the same data',
    async () => {
      const p = await open(SMALL.replace('steps=24', 'steps=8') + '&autorun=1&algo=dpsgd', 1400, 900);
      await until(p, 'run-controls[data-status="done"]');
      const loss = p.locator('lab-chart#chart-loss');
      expect(await loss.locator('canvas').getAttribute('role')).toBe('img');
      expect(await loss.locator('canvas').getAttribute('aria-label')).toMatch(/^Training loss: chart/);
      await loss.locator('details summary').click();
      await p.locator('[data-table-for="chart-loss"] tbody tr').first().waitFor();
      const rows = await p.locator('[data-table-for="chart-loss"] tbody tr').count();
      expect(rows).toBe(Number(await loss.getAttribute('data-points')));
      const [csv] = await Promise.all([p.waitForEvent('download'), loss.locator('button.csv').click()]);
      expect(csv.suggestedFilename()).toBe('loss.csv');
      const lines = readFileSync((await csv.path())!, 'utf8')
        .trim()
        .split('\n');
      expect(lines[0]).toBe('series,step,BCE loss');
      expect(lines.length - 1).toBe(rows);
      expect(lines[1]).toMatch(/^DP-SGD \(eager\),\d+,[\d.e-]+$/);
      // a PNG for slides: at least twice the pixels on screen, plus a title band and a footer
      const png = await loss.evaluate(async (el: HTMLElement & { toPng(): string }) => {
        const img = new Image();
        img.src = el.toPng();
        await img.decode();
        const box = el.shadowRoot!.querySelector('.box')!.getBoundingClientRect();
        return { w: img.width, h: img.height, boxW: box.width, boxH: box.height, url: img.src };
      });
      writeFileSync(`${SHOTS}/chart-loss-export.png`, Buffer.from(png.url.split(',')[1], 'base64'));
      expect(png.w).toBeGreaterThanOrEqual(2 * png.boxW);
      expect(png.h).toBeGreaterThan(2 * png.boxH + 40);
      // the AUC chart: the chance line, and an axis that does not zoom into noise around it
      const auc = await p.locator('lab-chart#chart-auc').evaluate(
        (
          el: HTMLElement & {
            spec: {
              data: { datasets: { label: string }[] };
              options: { scales: { y: { suggestedMin: number; suggestedMax: number } } };
            };
          },
        ) => ({
          labels: el.spec.data.datasets.map((d) => d.label),
          y: el.spec.options.scales.y,
        }),
      );
      expect(auc.labels).toContain('chance (0.5)');
      expect(auc.y.suggestedMin).toBeLessThanOrEqual(0.4);
      expect(auc.y.suggestedMax).toBe(1);
      // the teaching histogram labels only round values
      await p.locator('nav button[data-view="teach"]').click();
      const ticks = await p.locator('lab-chart#chart-agg').evaluate(
        (
          el: HTMLElement & {
            spec: {
              data: { labels: string[] };
              options: { scales: { x: { ticks: { callback(v: unknown, i: number): string | null } } } };
            };
          },
        ) => el.spec.data.labels.map((_, i) => el.spec.options.scales.x.ticks.callback(0, i)).filter((t) => t !== null),
      );
      expect(ticks.length).toBeGreaterThanOrEqual(5);
      for (const t of ticks) expect(Number(t) % 1 === 0 || (Number(t) * 2) % 1 === 0, `tick ${t}`).toBe(true);
      expect(ticks).toContain('0');
      await p.locator('lab-chart#chart-agg').screenshot({ path: `${SHOTS}/chart-agg.png` });
      // an empty chart draws no axes: its canvas is hidden behind the "no data" note
      await p.locator('nav button[data-view="sweep"]').click();
      const sweep = p.locator('lab-chart#chart-sweep');
      expect(await sweep.getAttribute('data-points')).toBe('0');
      expect(await sweep.locator('canvas').isVisible()).toBe(false);
      await p.context().close();
    },
    LONG,
  );

  it(
    'Back and Forward step through configurations; typing in one field makes one entry',
    async () => {
      const p = await open(SMALL, 1400, 900);
      const steps = p.locator('input[name="steps"]');
      await steps.fill('3');
      await steps.fill('30'); // same field: replaces its entry
      await p.waitForFunction(() => location.hash.includes('steps=30'));
      await p.locator('input[name="dim"]').fill('4');
      await p.waitForFunction(() => location.hash.includes('dim=4'));
      await p.locator('button[data-algo="dpsgd"]').click();
      await p.waitForFunction(() => location.hash.includes('algo=dpsgd'));
      await p.locator('nav button[data-view="device"]').click(); // the view alone makes no entry
      await p.waitForFunction(() => location.hash.includes('view=device'));
      const len = await p.evaluate(() => history.length);
      await p.goBack();
      await p.waitForFunction(() => !location.hash.includes('algo=dpsgd') && location.hash.includes('dim=4'));
      expect(await p.locator('button[data-algo="dpsgd"]').getAttribute('aria-pressed')).toBe('false');
      await p.goBack();
      await p.waitForFunction(() => !location.hash.includes('dim=4') && location.hash.includes('steps=30'));
      expect(await p.locator('input[name="dim"]').inputValue()).toBe('8');
      await p.goBack();
      await p.waitForFunction(() => location.hash.includes('steps=24'));
      expect(await p.locator('input[name="steps"]').inputValue()).toBe('24');
      expect(await p.evaluate(() => location.pathname)).toBe('/'); // still the lab
      await p.goForward();
      await p.waitForFunction(() => location.hash.includes('steps=30') && !location.hash.includes('dim=4'));
      expect(await p.locator('input[name="steps"]').inputValue()).toBe('30');
      await p.goForward();
      await p.waitForFunction(() => location.hash.includes('dim=4'));
      expect(await p.locator('input[name="dim"]').inputValue()).toBe('4');
      // an edit after going back starts a new branch: Forward has nowhere to go
      await p.locator('input[name="dim"]').fill('2');
      await p.waitForFunction(() => location.hash.includes('dim=2'));
      expect(await p.evaluate(() => history.length)).toBeLessThanOrEqual(len);
      await p.context().close();
    },
    LONG,
  );

  it(
    'presentation mode: larger text, status and wider charts, configuration hidden, the button pressed; the ε and δ panel explains',
    async () => {
      const p = await open(SMALL.replace('steps=24', 'steps=4') + '&autorun=1&algo=lazydp', 1400, 900);
      await until(p, 'run-controls[data-status="done"]');
      const size = () => p.locator('lab-chart#chart-loss .box').evaluate((el) => el.getBoundingClientRect().height);
      const font = () =>
        p
          .locator('train-view .explain')
          .first()
          .evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
      const width = () => p.locator('lab-chart#chart-loss .box').evaluate((el) => el.getBoundingClientRect().width);
      const statusFont = () =>
        p.locator('run-controls .status').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
      const look = () => p.locator('#present').evaluate((el) => getComputedStyle(el).backgroundColor);
      const [h0, f0, w0, s0, b0] = [await size(), await font(), await width(), await statusFont(), await look()];
      await p.locator('#present').click();
      await p.waitForSelector('dp-lab[data-present]');
      expect(await p.locator('#present').getAttribute('aria-pressed')).toBe('true');
      expect(await size()).toBeGreaterThan(1.4 * h0);
      expect(await font()).toBeGreaterThan(1.2 * f0);
      // wider charts, a larger status line, and a button that looks pressed
      expect(await width()).toBeGreaterThanOrEqual(w0);
      expect(await statusFont()).toBeGreaterThan(1.2 * s0);
      expect(await look()).not.toBe(b0);
      expect(await p.locator('config-panel').isVisible()).toBe(false);
      await p.screenshot({ path: `${SHOTS}/present.png` });
      await p.locator('#present').click();
      await p.waitForSelector('dp-lab:not([data-present])');
      const panel = p.locator('[data-eps-panel]');
      await panel.locator('summary').click();
      const text = await panel.innerText();
      expect(text).toMatch(/ε = 1/);
      expect(text).toMatch(/ε = 10/);
      expect(text).toMatch(/far below 1\/n/);
      expect(await panel.locator('a[href="https://arxiv.org/abs/1607.00133"]').count()).toBe(1);
      expect(await panel.locator('a[href="https://arxiv.org/abs/2404.08847"]').count()).toBe(1);
      await p.context().close();
    },
    LONG,
  );

  it('a first visit shows the default run beside a private LazyDP run (ε drawn)', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const p = await ctx.newPage();
    p.on('pageerror', (e) => errors.push(e.message));
    await p.goto(lab.url);
    await labReady(p);
    await until(p, 'run-controls[data-status="done"]');
    await until(p, '#runs-table tr[data-algo="lazydp"][data-done="1"]');
    expect(await p.locator('#runs-table tr[data-algo="sgd"][data-done="1"]').count()).toBe(1);
    expect(Number(await p.locator('lab-chart#chart-eps').getAttribute('data-points'))).toBeGreaterThan(0);
    await p.screenshot({ path: `${SHOTS}/first-visit.png`, fullPage: true });
    await ctx.close();
  }, 400_000);

  it('no uncaught page errors', () => {
    expect(errors).toEqual([]);
  });
});
