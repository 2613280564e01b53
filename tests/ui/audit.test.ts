// The Audit view in a real browser (system Chromium, WebGPU on SwiftShader): a flaw is caught, an
// honest run is not, the flaw switch is labelled BROKEN. Waits are on DOM states, never on time.

import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openLab, WAIT } from './page';
import { launchChromium, startLab, type Lab } from './server';

const SHOTS = 'test-results/screenshots';
// the small configuration of tests/engine/audit.test.ts (sigma 1.5, q * steps ~ 4.5)
const SMALL =
  'tables=64,32&dim=4&pooling=2&batch=32&dense=4&bottom=8&top=8&datasetSize=512&evalSize=64&evalEvery=0' +
  '&steps=100&sigma=1.5&seed=12345';

let lab: Lab;
let browser: Browser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  lab = await startLab();
  browser = await launchChromium();
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = await openLab(ctx, lab.url, `${SMALL}&algo=dpsgd&view=audit`, errors);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await lab?.close();
});

async function audit(): Promise<{ lower: number; eps: number; text: string }> {
  await page.locator('#audit-run').click();
  await page.waitForSelector('audit-view[data-audit="running"]', WAIT);
  const done = await page.waitForSelector('audit-view[data-audit="done"], #audit-error', WAIT);
  if ((await done.getAttribute('id')) === 'audit-error') throw new Error(`audit failed: ${await done.innerText()}`);
  const r = page.locator('#audit-result');
  return {
    lower: Number(await r.getAttribute('data-epsilon-lower')),
    eps: Number(await r.getAttribute('data-epsilon')),
    text: await r.innerText(),
  };
}

describe('Audit view', () => {
  it('explains the bound, labels the flaws BROKEN, catches noise-touched-rows-only, passes an honest run', async () => {
    const view = page.locator('audit-view');
    expect(await view.locator('.explain').innerText()).toMatch(/lower bound/);
    expect(await view.locator('#audit-flaw').innerText()).toMatch(/BROKEN\s+noise-touched-rows-only/);
    await page.locator('#audit-canaries').fill('400');
    await page.locator('#audit-canaries').dispatchEvent('change');
    await page.locator('input[name="flaw"][value="noise-touched-rows-only"]').check();
    const bad = await audit();
    expect(bad.text).toMatch(/BROKEN on purpose: noise-touched-rows-only/);
    expect(bad.text).toMatch(/claim false/);
    expect(bad.lower).toBeGreaterThan(bad.eps);
    expect(Number(await page.locator('audit-view lab-chart').getAttribute('data-points'))).toBeGreaterThan(0);
    await page.screenshot({ path: `${SHOTS}/audit-flaw.png`, fullPage: true });
    // the other flaw belongs to LazyDP: choosing it switches the algorithm
    await page.locator('input[name="flaw"][value="skip-final-flush"]').check();
    expect(await page.locator('#audit-algo').inputValue()).toBe('lazydp');
    await page.locator('input[name="flaw"][value="none"]').check();
    const honest = await audit();
    expect(honest.text).toMatch(/consistent/);
    expect(honest.text).not.toMatch(/BROKEN/);
    expect(honest.lower).toBeLessThanOrEqual(honest.eps);
    expect(errors).toEqual([]);
  }, 400_000);

  it('says what the CLI says: a fixed-seed run is "not a guarantee", gradient canaries by default, the idealised bound', async () => {
    // the page's config has seed=12345: the CLI's verdict is consistent-not-guaranteed, with the reason
    const view = page.locator('audit-view');
    expect(await view.locator('#audit-kind').inputValue()).toBe('gradient');
    await page.locator('input[name="flaw"][value="none"]').check();
    await page.locator('#audit-canaries').fill('200');
    await page.locator('#audit-canaries').dispatchEvent('change');
    const r = await audit();
    expect(await page.locator('#audit-result').getAttribute('data-verdict')).toBe('consistent-not-guaranteed');
    expect(r.text).toMatch(/epsilon is NOT a guarantee for this run/);
    expect(r.text).toMatch(/not a guarantee: fixed seed/);
    expect(r.text).toMatch(/200 gradient canaries/);
    expect(r.text).toMatch(/projected movement/);
    expect(Number(await page.locator('#audit-ideal').innerText())).toBeGreaterThanOrEqual(0);
    expect(errors).toEqual([]);
  }, 400_000);

  it('the power choice audits a full-batch run of the same model at epsilon 8, and the sparse run says why', async () => {
    // the page's run samples q = 32/512: the view says its final-model audit cannot reach epsilon
    expect(await page.locator('#audit-low-power').innerText()).toMatch(/cannot reach the accountant's epsilon/);
    await page.locator('#audit-power').check();
    expect(await page.locator('#audit-memory').innerText()).toMatch(/power run .*1024 examples, q = 0\.969, 64 steps/);
    expect(await page.locator('#audit-low-power').count()).toBe(0);
    await page.locator('input[name="flaw"][value="none"]').check();
    await page.locator('#audit-canaries').fill('400');
    await page.locator('#audit-canaries').dispatchEvent('change');
    const r = await audit();
    expect(await page.locator('#audit-result').getAttribute('data-power')).toBe('true');
    expect(r.text).toMatch(/power run: 1024 examples, 64 steps/);
    expect(r.eps).toBeGreaterThan(7.9);
    expect(r.eps).toBeLessThanOrEqual(8);
    expect(r.lower).toBeGreaterThan(1);
    expect(r.lower).toBeLessThanOrEqual(r.eps);
    await page.locator('#audit-power').uncheck();
    expect(await page.locator('#audit-low-power').count()).toBe(1);
    expect(errors).toEqual([]);
  }, 400_000);
});
