// The lab by keyboard alone, driven by the Tab and Enter keys as a person would press them (never
// by focusing elements in code): reach Train from page load, start, pause and step a run with the
// focus staying where it was, open and leave a chart's full screen, and no Tab stop on a chart's
// downloads while it has nothing to download. Chromium with WebGPU on SwiftShader.

import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { until, useLab } from './page';

const SMALL =
  'tables=512,256&dim=8&pooling=2&batch=32&bottom=16&top=16&steps=5000&evalEvery=8&evalSize=256&datasetSize=2048' +
  '&algo=lazydp';
const LONG = 200_000;

const { open } = useLab();

/** The deepest focused element across shadow roots, as "tag#id", or "tag.class" where it has no id. */
const focused = (p: Page) =>
  p.evaluate(() => {
    let a: Element | null = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
    if (!a) return '';
    if (a.id) return `${a.tagName.toLowerCase()}#${a.id}`;
    const cls = [...a.classList].filter((c) => c !== 'ghost' && c !== 'small' && c !== 'primary');
    return `${a.tagName.toLowerCase()}${cls.map((c) => '.' + c).join('')}`;
  });

/** Presses Tab until `target` has focus; every stop on the way, in order. */
async function tabTo(p: Page, target: string, max = 80): Promise<string[]> {
  const stops: string[] = [];
  for (let i = 0; i < max; i++) {
    await p.keyboard.press('Tab');
    stops.push(await focused(p));
    if (stops.at(-1) === target) return stops;
  }
  throw new Error(`${target} not reached in ${max} Tabs: ${stops.join(' ')}`);
}

const steps = async (p: Page) => Number(await p.locator('run-controls').getAttribute('data-steps'));

describe('keyboard only (Tab and Enter)', () => {
  it(
    'from page load: Tab reaches Train; Enter trains, pauses and steps with the focus kept; Full screen opens and leaves',
    async () => {
      const p = await open(SMALL);
      const stops = await tabTo(p, 'button#train');
      expect(stops[0]).toBe('button#skip');
      expect(stops.length).toBeLessThan(12);
      await p.keyboard.press('Enter');
      await until(p, 'run-controls[data-status="running"]');
      expect(await focused(p)).toBe('button#train');
      // the next Tab stop after Train is Pause
      await p.keyboard.press('Tab');
      expect(await focused(p)).toBe('button#pause');
      await p.keyboard.press('Enter');
      await until(p, 'run-controls[data-status="paused"]');
      expect(await focused(p)).toBe('button#pause');
      await p.keyboard.press('Tab');
      expect(await focused(p)).toBe('button#step');
      // Enter twice steps twice, the focus staying on Step
      const before = await steps(p);
      await p.keyboard.press('Enter');
      await until(p, `run-controls[data-status="paused"][data-steps="${before + 1}"]`);
      expect(await focused(p)).toBe('button#step');
      await p.keyboard.press('Enter');
      await until(p, `run-controls[data-status="paused"][data-steps="${before + 2}"]`);
      expect(await steps(p)).toBe(before + 2);
      expect(await focused(p)).toBe('button#step');
      // on to the first chart's Full screen: a real button that says what it will do
      await tabTo(p, 'button.full');
      const chart = p.locator('lab-chart:has(button.full:focus)');
      const full = chart.locator('button.full');
      expect(await full.getAttribute('aria-pressed')).toBe('false');
      await p.keyboard.press('Enter');
      await p.locator('lab-chart[data-full]').waitFor();
      expect(await p.evaluate(() => document.fullscreenElement !== null)).toBe(true);
      expect(await full.getAttribute('aria-pressed')).toBe('true');
      expect(await full.innerText()).toMatch(/Leave full screen/);
      expect(await focused(p)).toBe('button.full');
      await p.keyboard.press('Enter');
      await p.locator('lab-chart[data-full]').waitFor({ state: 'detached' });
      expect(await p.evaluate(() => document.fullscreenElement)).toBeNull();
      expect(await full.getAttribute('aria-pressed')).toBe('false');
      expect(await full.innerText()).toMatch(/^⤢ Full screen$/);
      await p.context().close();
    },
    LONG,
  );

  it(
    'the skip link lands on Train; empty charts offer no download to Tab to',
    async () => {
      const p = await open(SMALL);
      await p.keyboard.press('Tab');
      expect(await focused(p)).toBe('button#skip');
      await p.keyboard.press('Enter');
      expect(await focused(p)).toBe('button#train');
      // round the whole page back to the skip link: the empty charts' CSV and PNG are no stops
      const stops = await tabTo(p, 'button#skip', 150);
      expect(stops).toContain('button.full');
      // one CSV stop per chart with data (the planned-ε chart has some before any run), none for the empty ones
      const empty = p.locator('lab-chart[data-points="0"]');
      expect(await empty.count()).toBeGreaterThan(0);
      for (const csv of await empty.locator('button.csv').all()) expect(await csv.isDisabled()).toBe(true);
      const withData = await p.locator('lab-chart:not([data-points="0"])').count();
      expect(stops.filter((s) => s === 'button.csv')).toHaveLength(withData);
      await p.context().close();
    },
    LONG,
  );
});

describe('teaching view by keyboard', () => {
  it(
    'Step, Play and Pause keep the focus on the control used; Enter on Step steps again after Play',
    async () => {
      const p = await open(`${SMALL.replace('steps=5000', 'steps=40')}&view=teach`);
      await tabTo(p, 'button#teach-step');
      await p.keyboard.press('Enter');
      await until(p, 'teach-view[data-step="1"]');
      expect(await focused(p)).toBe('button#teach-step');
      await p.keyboard.press('Tab');
      expect(await focused(p)).toBe('button#teach-play');
      await p.keyboard.press('Enter'); // Play: a step every 0.35 s
      await until(p, 'teach-view[data-step="3"]');
      expect(await focused(p)).toBe('button#teach-play');
      // while Play runs, Step stays in the Tab order (marked unavailable), so the focus is never lost
      await p.keyboard.press('Shift+Tab');
      expect(await focused(p)).toBe('button#teach-step');
      expect(await p.locator('#teach-step').getAttribute('aria-disabled')).toBe('true');
      await p.keyboard.press('Tab');
      expect(await focused(p)).toBe('button#teach-play');
      await p.keyboard.press('Enter'); // Pause
      await p.locator('#teach-play', { hasText: 'Play' }).waitFor();
      expect(await focused(p)).toBe('button#teach-play');
      // back to Step: Enter steps once more, the focus staying there
      await p.keyboard.press('Shift+Tab');
      expect(await focused(p)).toBe('button#teach-step');
      await p.locator('#teach-step[aria-disabled="false"]').waitFor();
      const before = Number(await p.locator('teach-view').getAttribute('data-step'));
      await p.keyboard.press('Enter');
      await until(p, `teach-view[data-step="${before + 1}"]`);
      expect(await focused(p)).toBe('button#teach-step');
      await p.context().close();
    },
    LONG,
  );
});
