// The lab on any screen and by any hand: phone and tablet widths (no sideways scroll, Train on
// the first screen), keyboard-only operation, an automated accessibility check (axe-core) and
// Back/Forward through configurations. Chromium with WebGPU on SwiftShader, as in lab.test.ts;
// every wait is on a DOM state the components set.

import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, startLab, type Lab } from './server';

const SHOTS = 'test-results/screenshots';
const SMALL =
  'tables=512,256&dim=8&pooling=2&batch=32&bottom=16&top=16&steps=24&evalEvery=8&evalSize=256&datasetSize=2048' +
  '&benchSteps=6&sweepFrom=8&sweepTo=12&sweepPoints=3&sweepSteps=3';
const WAIT = { timeout: 180_000 };
const LONG = 200_000;

let lab: Lab;
let browser: Browser;
const errors: string[] = [];

async function open(fragment: string, width: number, height: number, extra: { colorScheme?: 'dark' | 'light' } = {}): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width, height }, ...extra });
  const p = await ctx.newPage();
  p.on('pageerror', (e) => errors.push(e.message));
  await p.goto(`${lab.url}#${fragment}`);
  await p.waitForSelector('dp-lab[data-device="ready"]', WAIT);
  return p;
}

async function until(p: Page, selector: string): Promise<void> {
  const el = await p.waitForSelector(`${selector}, [data-banner="run-error"], [data-banner="gpu-error"], [data-banner="device-lost"]`, WAIT);
  const banner = await el.getAttribute('data-banner');
  if (banner) throw new Error(`${banner} banner instead of ${selector}: ${await el.innerText()}`);
}

/** How far the page scrolls sideways, and the outermost elements (across shadow roots) that stick out. */
async function sideways(p: Page): Promise<number> {
  const r = await p.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const out: string[] = [];
    const walk = (root: ParentNode) => {
      for (const el of root.querySelectorAll('*')) {
        const b = el.getBoundingClientRect();
        if (b.right > w + 0.5 && out.length < 6) out.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(b.right)}`);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    return { over: document.documentElement.scrollWidth - w, out };
  });
  if (r.over > 0) console.log('sticking out:', r.out.join('; '));
  return r.over;
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
    it(`at ${width} px: no sideways scroll, Train on the first screen, header actions reachable`, async () => {
      const p = await open(SMALL, width, height);
      expect(await sideways(p)).toBeLessThanOrEqual(0);
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
      for (const v of ['train', 'stages', 'sweep', 'teach', 'device']) {
        await p.locator(`nav button[data-view="${v}"]`).click();
        await p.waitForSelector(`dp-lab[data-view="${v}"]`);
        expect(await sideways(p), `view ${v}`).toBeLessThanOrEqual(0);
      }
      await p.screenshot({ path: `${SHOTS}/layout-${width}.png`, fullPage: true });
      await p.context().close();
    }, LONG);
  }

  it('at 390 px a trained run keeps the runs table inside its card', async () => {
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
  }, LONG);

  it('no uncaught page errors', () => {
    expect(errors).toEqual([]);
  });
});
