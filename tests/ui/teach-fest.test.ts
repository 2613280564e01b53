// The teaching view for DP-AdaFEST at a tiny size: one Step shows which rows of the slice the batch
// read, which of them crossed the noisy threshold, which unread rows crossed by their noise alone,
// the whole table's counts and the step's privacy cost; in the dark theme its tiles are dark.
// Chromium with WebGPU on SwiftShader.

import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { until, useLab } from './page';

// a low threshold (p = Q(2 / 4) = 31 % for an unread row) and a fixed seed whose first step shows
// every kind of row in rows 0-63 (3 read and crossed, 4 read and dropped, 20 unread and crossed)
const ADAFEST =
  'tables=512,256&dim=8&pooling=2&batch=32&bottom=16&top=16&steps=10&evalEvery=0&evalSize=256&datasetSize=2048' +
  '&algo=dp-adafest&threshold=2&seed=2&view=teach';

const { open } = useLab();

/** Presses Step and waits for the step to be shown. */
async function step(p: Page, s: number): Promise<void> {
  await p.locator('#teach-step[aria-disabled="false"]').waitFor();
  await p.locator('#teach-step').click();
  await until(p, `teach-view[data-step="${s}"]`);
  await p.locator(`#fest-card[data-fest]:not([data-fest=""])`).waitFor();
}

const kinds = (p: Page) =>
  p.locator('#grid-fest .cell').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-kind')));

describe('teaching view: DP-AdaFEST', () => {
  it('one step: rows read and crossed, read and dropped, unread and crossed; the counts and the privacy cost', async () => {
    const p = await open(ADAFEST);
    expect(await p.locator('#grid-lazy').count()).toBe(0); // not LazyDP's pending noise
    await step(p, 1);
    const k = await kinds(p);
    expect(k).toHaveLength(64);
    expect(k).toContain('hit'); // read, crossed: gradient + noise
    expect(k).toContain('dropped'); // read, not crossed: gradient dropped
    expect(k).toContain('noise'); // not read, crossed: noise only
    // the table's counts: the rows written are the rows that crossed, read or not
    const counts = await p.locator('[data-fest-counts] b').allInnerTexts();
    const [read, readCrossed, unreadCrossed, written] = counts.map(Number);
    expect(readCrossed).toBeLessThanOrEqual(read);
    expect(unreadCrossed).toBeGreaterThan(0);
    expect(written).toBe(readCrossed + unreadCrossed);
    expect(Number(await p.locator('#fest-card').getAttribute('data-fest'))).toBe(written);
    // a read row's tile says how many examples read it and what its noisy count did
    const hit = p.locator('#grid-fest .cell[data-kind="hit"]').first();
    expect(Number(await hit.innerText())).toBeGreaterThan(0);
    expect(await hit.getAttribute('title')).toMatch(/noisy count [\d.-]+ > τ 2: its gradient plus noise written/);
    // the cost: two mechanisms as one, sigma_eff below both sigmas (1 and 1 here), and epsilon so far
    expect(Number(await p.locator('[data-sigma-eff]').innerText())).toBeCloseTo(Math.SQRT1_2, 3);
    expect(Number(await p.locator('[data-fest-eps]').innerText())).toBeGreaterThan(0);
    expect(await p.locator('[data-fest-cost]').innerText()).toMatch(/not a guarantee: fixed seed/);
    // the next step shows its own rows
    await step(p, 2);
    expect(await p.locator('#teach-step-count').innerText()).toBe('2');
    await p.context().close();
  });

  it('in the dark theme the tiles are dark, as the rest of the page', async () => {
    const p = await open(ADAFEST);
    await p.emulateMedia({ colorScheme: 'dark' });
    await step(p, 1);
    const lightness = await p
      .locator('#grid-fest .cell[data-kind="hit"]')
      .first()
      .evaluate((el) => {
        const [r, g, b] = getComputedStyle(el).backgroundColor.match(/\d+/g)!.map(Number);
        return (Math.max(r, g, b) + Math.min(r, g, b)) / 2 / 255;
      });
    expect(lightness).toBeLessThan(0.35);
    await p.context().close();
  });
});
