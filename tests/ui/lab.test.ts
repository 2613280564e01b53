// The lab in a real browser: system Chromium, WebGPU on SwiftShader, the production build
// served by `vite preview`. Sizes are tiny (SwiftShader on two cores) and passed through the
// URL; every wait is on a DOM state the components set, never on time.

import { mkdirSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { decodeState } from '../../src/config/url';
import { criteoText } from '../helpers/criteo';
import { decodeSafetensors, encodeSafetensors } from '../../src/engine/safetensors';
import { STAGES } from '../../src/engine/types';
import { fmtMs } from '../../src/ui/format';
import { labReady, openLab, until, WAIT } from './page';
import { launchChromium, startLab, type Lab } from './server';
import { ALGOS } from '../../src/config/config';

const SHOTS = 'test-results/screenshots';
// Small enough for SwiftShader, big enough that LazyDP leaves rows pending.
const SMALL =
  'tables=512,256&dim=8&pooling=2&batch=32&bottom=16&top=16&steps=24&evalEvery=8&evalSize=256&datasetSize=2048' +
  '&benchSteps=6&sweepFrom=8&sweepTo=12&sweepPoints=3&sweepSteps=3';
const LONG = 200_000; // per-test limit for the tests that train

let lab: Lab;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const errors: string[] = [];

const open = (fragment: string, p?: Page) => openLab(p ?? context, lab.url, fragment, errors);

const shot = (p: Page, name: string) => p.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
const points = async (p: Page, id: string) => Number(await p.locator(`lab-chart#${id}`).getAttribute('data-points'));
const hash = (p: Page) => p.evaluate(() => location.hash);

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  lab = await startLab();
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: lab.url });
  // headless Chromium's save dialog cancels itself: pages download models the classic way unless
  // a test installs its own dialog
  await context.addInitScript(() =>
    Object.defineProperty(window, 'showSaveFilePicker', { value: undefined, configurable: true, writable: true }),
  );
}, 240_000);

// every page's uncaught errors fail the test that was running when they happened
afterEach(() => {
  const seen = errors.splice(0);
  expect(seen, 'uncaught page errors').toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await lab?.close();
});

describe('lab UI in Chromium (WebGPU on SwiftShader)', () => {
  it('without WebGPU, says what to use instead', async () => {
    const p = await context.newPage();
    await p.addInitScript(() =>
      Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true }),
    );
    await p.goto(lab.url);
    const box = p.locator('#no-webgpu[data-reason="api"]');
    await box.waitFor(WAIT);
    const text = await box.innerText();
    expect(text).toMatch(/does not offer WebGPU/);
    expect(text).toMatch(/Chrome or Edge 113\+/);
    expect(text).toMatch(/Safari 26/);
    expect(text).toMatch(/Firefox 141\+/);
    expect(text).toMatch(/node CLI/);
    await shot(p, 'no-webgpu');
    await p.close();
    // the API is there but no adapter: a page that says so
    const q = await context.newPage();
    await q.addInitScript(() => {
      GPU.prototype.requestAdapter = async () => null;
    });
    await q.goto(lab.url);
    const noAdapter = q.locator('#no-webgpu[data-reason="adapter"]');
    await noAdapter.waitFor(WAIT);
    expect(await noAdapter.innerText()).toMatch(/no GPU adapter/);
    await q.close();
  });

  it('loads a configuration from the URL; the panel edits it and the URL follows', async () => {
    page = await open(SMALL + '&algo=dpsgd&accountant=rdp');
    expect(await page.locator('input[name="dim"]').inputValue()).toBe('8');
    expect(await page.locator('button[data-algo="dpsgd"]').getAttribute('aria-pressed')).toBe('true');
    // a valid edit lands in the URL fragment
    await page.locator('input[name="steps"]').fill('20');
    await page.waitForFunction(() => location.hash.includes('steps=20'));
    // a bad edit keeps the typed text, says why, and blocks training
    await page.locator('input[name="dim"]').fill('eight');
    await page.locator('[data-error-for="dim"]').waitFor();
    expect(await page.locator('[data-error-for="dim"]').innerText()).toMatch(/expected a number/);
    expect(await page.locator('input[name="dim"]').inputValue()).toBe('eight');
    expect(await page.locator('#train').isDisabled()).toBe(true);
    expect(await hash(page)).toContain('dim=8');
    await page.locator('input[name="dim"]').fill('8');
    await page.locator('[data-error-for="dim"]').waitFor({ state: 'detached' });
    // a fixed seed is labelled as such, and shows in the URL
    await page.locator('#seed-fixed').check();
    await page.locator('[data-seed-fixed]').waitFor();
    expect(await page.locator('[data-seed-fixed]').innerText()).toBe('reproducible, not private');
    await page.waitForFunction(() => /seed=\d+/.test(location.hash));
    await page.locator('#seed-fixed').uncheck();
    await page.locator('[data-seed-fixed]').waitFor({ state: 'detached' });
    // the memory this needs against the device
    expect(
      Number(await page.locator('memory-meter [data-total-bytes]').getAttribute('data-total-bytes')),
    ).toBeGreaterThan(0);
    expect(await page.locator('memory-meter .badge').innerText()).toBe('fits');
    expect(await page.locator('#train').isEnabled()).toBe(true);
  });

  it(
    'trains, pauses and resumes, and draws every training chart',
    async () => {
      // a run long enough that the pause always lands mid-run, however fast or loaded the machine
      await page.locator('input[name="steps"]').fill('5000');
      await page.waitForFunction(() => location.hash.includes('steps=5000'));
      await page.locator('#train').click();
      await until(page, 'run-controls[data-status="running"]');
      await page.locator('#pause').click();
      await until(page, 'run-controls[data-status="paused"]');
      const pausedAt = Number(await page.locator('run-controls').getAttribute('data-steps'));
      expect(pausedAt).toBeLessThan(5000);
      await page.locator('#step').click(); // exactly one more step
      await until(page, `run-controls[data-status="paused"][data-steps="${pausedAt + 1}"]`);
      await page.locator('#train').click(); // resume
      await until(page, 'run-controls[data-status="running"]');
      // data-steps follows the engine's log points; run-controls sits in the app's shadow root
      await expect
        .poll(async () => Number(await page.locator('run-controls').getAttribute('data-steps')), {
          timeout: WAIT.timeout,
          interval: 200,
        })
        .toBeGreaterThanOrEqual(pausedAt + 25);
      // the page stays responsive while training: it renders frames and the run is still going
      const frames = await page.evaluate(
        () =>
          new Promise<number>((res) => {
            let n = 0;
            const f = () => (++n === 10 ? res(n) : requestAnimationFrame(f));
            requestAnimationFrame(f);
          }),
      );
      expect(frames).toBe(10);
      expect(await page.locator('run-controls').getAttribute('data-status')).toBe('running');
      // the progress bar follows the steps, with a rate and the time left while running
      const stats = await page.locator('run-controls .stats').innerText();
      expect(stats).toMatch(/[\d.]+\s*steps\/s/);
      expect(stats).toMatch(/left/);
      const bar = page.locator('run-controls [role="progressbar"]');
      expect(await bar.getAttribute('aria-valuemax')).toBe('5000');
      expect(Number(await bar.getAttribute('aria-valuenow'))).toBeGreaterThanOrEqual(pausedAt + 25);
      await page.locator('#stop').click();
      await until(page, 'run-controls[data-status="stopped"]');
      await page.locator('input[name="steps"]').fill('20');
      await page.waitForFunction(() => location.hash.includes('steps=20'));
      expect(await points(page, 'chart-loss')).toBeGreaterThan(3);
      expect(await points(page, 'chart-auc')).toBeGreaterThan(0);
      expect(await points(page, 'chart-eps')).toBeGreaterThan(3);
      expect(await page.locator('#runs-table').innerText()).toMatch(/DP-SGD/);
      await shot(page, 'training');
    },
    LONG,
  );

  it(
    'runs all four algorithms side by side in the stage-latency view',
    async () => {
      await page.locator('nav button[data-view="stages"]').click();
      await page.locator('#run-all').click();
      await until(page, '#stages-table tr[data-algo="lazydp-exact"]');
      await page.waitForSelector('#run-all:not([disabled])', WAIT);
      for (const a of ALGOS) expect(await page.locator(`#stages-table tr[data-algo="${a}"]`).count()).toBe(1);
      expect(await points(page, 'chart-stages')).toBe((6 + 1) * ALGOS.length); // six stages and the step-median mark
      expect(await page.locator('[data-timing-note="fused"]').innerText()).toMatch(/reported under update/);
      await shot(page, 'stages');
    },
    LONG,
  );

  it(
    'sweeps table sizes: step time vs total rows per algorithm',
    async () => {
      await page.locator('nav button[data-view="sweep"]').click();
      await page.locator('#run-sweep').click();
      await until(page, 'sweep-view[data-sweep="running"]');
      await until(page, 'sweep-view[data-sweep="done"]');
      expect(await points(page, 'chart-sweep')).toBe(3 * ALGOS.length);
      await shot(page, 'sweep');
    },
    LONG,
  );

  it(
    'teaching view: LazyDP leaves noise pending that eager DP-SGD writes every step; flush pays it',
    async () => {
      await page.locator('nav button[data-view="teach"]').click();
      for (let s = 1; s <= 3; s++) {
        await page.locator('#teach-step').click();
        await until(page, `teach-view[data-step="${s}"]`);
        await page.waitForSelector('#teach-step[aria-disabled="false"]', WAIT);
      }
      const pending = await page
        .locator('#grid-lazy .cell')
        .evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-pending'))));
      expect(pending).toHaveLength(64);
      expect(Math.max(...pending)).toBe(3); // rows untouched since the start owe 3 steps of noise
      expect(pending.every((k) => k >= 0 && k <= 3)).toBe(true);
      expect(await page.locator('#grid-eager .cell.written').count()).toBe(64);
      await shot(page, 'teaching');
      await page.locator('#teach-flush').click();
      await page.waitForFunction(
        () => {
          const v = document.querySelector('dp-lab')!.shadowRoot!.querySelector('teach-view')!.shadowRoot!;
          return [...v.querySelectorAll('#grid-lazy .cell')].every((c) => c.getAttribute('data-pending') === '0');
        },
        undefined,
        WAIT,
      );
      // explanations can be hidden for slides
      await page.locator('#toggle-text').click();
      await page.waitForSelector('dp-lab[data-text="0"]');
      expect(await page.locator('teach-view .explain').count()).toBe(0);
      await shot(page, 'teaching-slides');
      await page.locator('#toggle-text').click();
      await page.waitForSelector('dp-lab[data-text="1"]');
    },
    LONG,
  );

  it('device view: adapter, limits, features, timestamp resolution', async () => {
    await page.locator('nav button[data-view="device"]').click();
    await page.waitForSelector('device-view [data-ts-quantum]', WAIT);
    expect(await page.locator('#device-card').innerText()).toMatch(/swiftshader/i);
    expect(await page.locator('#limits').innerText()).toMatch(/maxStorageBufferBindingSize/);
    await shot(page, 'device');
  });

  it('downloads results as JSON and a chart as PNG', async () => {
    const [json] = await Promise.all([page.waitForEvent('download'), page.locator('#download-json').click()]);
    const data = JSON.parse(readFileSync((await json.path())!, 'utf8'));
    expect(data.lab).toBe('dp-webgpu-lab');
    expect(data.runs.length).toBeGreaterThanOrEqual(5);
    expect(data.runs[0].summary.stageMedianMs).toHaveProperty('update');
    // every run says what its epsilon covers; the training loss is listed as not covered
    const priv = data.runs.find((r: { config: { algo: string } }) => r.config.algo !== 'sgd');
    expect(priv.privacy.accounting).toMatch(/^rdp-poisson/);
    expect(priv.privacy.notes.join(' ')).toMatch(/training loss .* not covered by epsilon/);
    expect(data.sweep.length).toBe(3 * ALGOS.length);
    await page.locator('nav button[data-view="stages"]').click();
    const [png] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('lab-chart#chart-stages button', { hasText: 'PNG' }).click(),
    ]);
    expect(png.suggestedFilename()).toBe('stage-latency.png');
    const bytes = readFileSync((await png.path())!);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
  });

  it(
    'shares results; the link reopens the same configuration with the sender numbers, and compares',
    async () => {
      await page.locator('nav button[data-view="train"]').click();
      await page.locator('#share').click();
      const link = await page.locator('#share-link').inputValue();
      const sent = decodeState(link).state;
      expect(sent.results?.algos.lazydp?.stepMs).toBeGreaterThan(0);
      expect(sent.results?.device).toMatch(/swiftshader/i);
      expect(Object.keys(sent.results!.algos)).toHaveLength(ALGOS.length);
      const reader = await context.newPage();
      reader.on('pageerror', (e) => errors.push(e.message));
      await reader.goto(link);
      await labReady(reader);
      // the link opens where the sender was; a banner points to the comparison
      await reader.locator('[data-banner="shared"] button.primary').click();
      await reader.waitForSelector('dp-lab[data-view="stages"]');
      expect(decodeState(await hash(reader)).state.config).toEqual(decodeState(link).state.config);
      expect(await reader.locator('input[name="steps"]').inputValue()).toBe('20');
      await reader.locator('#shared-card').waitFor();
      expect(await reader.locator('[data-shared-device]').innerText()).toMatch(/swiftshader/i);
      expect(await reader.locator('#stages-table tr[data-from="sender"]').count()).toBe(ALGOS.length);
      // the sender's own medians, as sent in the link
      for (const [algo, r] of Object.entries(sent.results!.algos)) {
        const cells = await reader
          .locator(`#stages-table tr[data-from="sender"][data-algo="${algo}"] td`)
          .allInnerTexts();
        expect(cells.slice(1)).toEqual([...STAGES.map((st) => fmtMs(r!.stageMs[st])), fmtMs(r!.stepMs)]);
      }
      await reader.locator('#run-here').click();
      await until(reader, '#stages-table tr[data-from="here"][data-algo="lazydp-exact"]');
      await reader.waitForSelector('#run-here:not([disabled])', WAIT);
      expect(await reader.locator('#stages-table tr[data-from="here"]').count()).toBe(ALGOS.length);
      expect(await points(reader, 'chart-stages')).toBe((6 + 1) * 2 * ALGOS.length);
      await shot(reader, 'shared-compare');
      await reader.close();
    },
    LONG,
  );

  it('a hostile URL: each bad field says why and keeps its default, the rest applies', async () => {
    const p = await open('v=1&steps=abc&dim=12&algo=quantum&tables=5,-1&__proto__=x&r.sgd=1_2');
    const banner = p.locator('[data-banner="url"]');
    await banner.waitFor();
    const text = await banner.innerText();
    expect(text).toMatch(/steps: expected a number/);
    expect(text).toMatch(/algo: expected one of/);
    expect(text).toMatch(/tables: must be >= 1/);
    expect(text).toMatch(/__proto__: unknown field/);
    expect(text).toMatch(/r.sgd: expected 7 numbers/);
    expect(await p.locator('input[name="dim"]').inputValue()).toBe('12');
    expect(await p.locator('input[name="steps"]').inputValue()).toBe('300');
    await shot(p, 'url-errors');
    await p.close();
  });

  it('a configuration too big for the device is refused with the largest size that fits', async () => {
    const p = await open('tables=2147483648,64&dim=64');
    const msg = p.locator('run-controls [data-too-big]');
    await msg.waitFor();
    expect(await msg.innerText()).toMatch(/largest table that fits/);
    expect(await p.locator('#train').isDisabled()).toBe(true);
    expect(await p.locator('memory-meter').getAttribute('data-fits')).toBe('0');
    expect(await p.locator('[data-memory-problem]').innerText()).toMatch(/largest table that fits/);
    await p.close();
  });

  it('a table larger than one binding is split across buffers, and a bigger memory limit admits it', async () => {
    // 2^25 rows x 16 floats = 2 GiB: beyond SwiftShader's 1 GiB binding, within the default 4 GiB limit
    const p = await open('tables=33554432&dim=16');
    const meter = p.locator('memory-meter');
    await p.waitForSelector('memory-meter[data-fits="1"]');
    expect(await meter.locator('[data-shards]').getAttribute('data-shards')).toMatch(/^0:[2-9]$/);
    expect(await meter.locator('[data-shards]').innerText()).toMatch(/E0 into \d buffers/);
    // at 8 GiB of tables the default limit refuses; raising memoryLimit admits it
    await p.locator('input[name="dim"]').fill('64');
    await p.waitForSelector('memory-meter[data-fits="0"]');
    expect(await p.locator('[data-memory-problem]').innerText()).toMatch(/memoryLimit 4 GiB/);
    await p.locator('input[name="memoryLimit"]').fill('16');
    await p.waitForSelector('memory-meter[data-fits="1"]');
    await p.waitForFunction(() => location.hash.includes('memoryLimit=16'));
    await p.close();
  });

  it(
    'downloads a paused LazyDP model with its pending noise flushed and its privacy facts',
    async () => {
      const p = await open(SMALL + '&algo=lazydp');
      type Lab = {
        __dpLab: {
          runner: {
            trainer: {
              readHistory(t: number, s: number, n: number): Promise<Uint32Array>;
              readRows(t: number, s: number, n: number): Promise<Float32Array>;
            };
          };
        };
      };
      const history = () =>
        p.evaluate(async () =>
          Array.from(await (window as unknown as Lab).__dpLab.runner.trainer.readHistory(0, 0, 512)),
        );
      expect(await p.locator('#download-model').isDisabled()).toBe(true); // nothing trained yet
      for (let k = 1; k <= 3; k++) {
        await p.locator('#step').click();
        await until(p, `run-controls[data-status="paused"][data-steps="${k}"]`);
      }
      expect((await history()).some((h) => h < 3)).toBe(true); // rows with noise still pending
      const [dl] = await Promise.all([p.waitForEvent('download'), p.locator('#download-model').click()]);
      expect(dl.suggestedFilename()).toBe('dp-lab-lazydp-3steps.safetensors');
      const file = decodeSafetensors(new Uint8Array(readFileSync((await dl.path())!)));
      expect(file.metadata).toMatchObject({
        algo: 'lazydp',
        steps: '3',
        seed: 'random',
        seed_fixed: 'false',
        pending_noise_flushed: 'true',
      });
      expect(Number(file.metadata.epsilon)).toBeGreaterThan(0);
      expect(file.tensors.get('tables.0')!.shape).toEqual([512, 8]);
      // the export flushed: every row has its noise up to step 3, and the file holds those rows
      expect((await history()).every((h) => h === 3)).toBe(true);
      const rows = await p.evaluate(async () =>
        Array.from(await (window as unknown as Lab).__dpLab.runner.trainer.readRows(0, 0, 512)),
      );
      expect(Array.from(file.tensors.get('tables.0')!.data)).toEqual(rows.map((x) => Math.fround(x)));
      // the run is still resumable afterwards
      await p.waitForSelector('#download-model:not([disabled])');
      await p.locator('#step').click();
      await until(p, 'run-controls[data-status="paused"][data-steps="4"]');
      await p.close();
      // the file continues in another page. First a file that is not a model: refused with the
      // reason, and that page's paused run and configuration stay as they were
      const q = await open(SMALL + '&algo=sgd&lr=0.9');
      await q.locator('#step').click();
      await until(q, 'run-controls[data-status="paused"][data-steps="1"]');
      const before = await hash(q);
      await q.locator('#resume-file').setInputFiles({
        name: 'notes.safetensors',
        mimeType: 'application/octet-stream',
        buffer: Buffer.from('not a model at all'),
      });
      expect(await q.locator('[data-banner="run-error"]').innerText()).toMatch(
        /Could not continue from notes\.safetensors: checkpoint: header length out of range/,
      );
      expect(await hash(q)).toBe(before);
      expect(await q.locator('run-controls').getAttribute('data-status')).toBe('paused');
      expect(await q.locator('run-controls').getAttribute('data-steps')).toBe('1');
      // then the model: its configuration replaces the page's, the unfinished sgd run gives way, and
      // the run waits at step 3 with the privacy those steps spent already shown
      await q.locator('#resume-file').setInputFiles((await dl.path())!);
      await until(q, 'run-controls[data-status="paused"][data-steps="3"]');
      expect(await hash(q)).toMatch(/algo=lazydp/);
      expect(await q.locator('input[name="lr"]').inputValue()).not.toBe('0.9');
      expect(await q.locator('run-controls .stats').innerText()).toMatch(/ε\s*\d/);
      await q.locator('nav button[data-view="train"]').click();
      expect(await q.locator('#runs-table tr[data-algo="sgd"]').count()).toBe(0);
      expect(await q.locator('#runs-table tr[data-algo="lazydp"]').count()).toBe(1);
      await q.locator('#train').click();
      await until(q, 'run-controls[data-status="done"][data-steps="24"]');
      await q.close();
    },
    LONG,
  );

  it(
    'privacy panel: epsilon from both accountants side by side, the privacy profile, and the choice',
    async () => {
      const p = await open(SMALL + '&algo=dpsgd');
      const eps = async (a: string) =>
        Number(/ε = ([\d.]+)/.exec(await p.locator(`privacy-preview tr[data-acct="${a}"] [data-eps]`).innerText())![1]);
      await p.locator('privacy-preview tr[data-acct="prv"].used').waitFor(WAIT);
      const prv = await eps('prv'),
        rdp = await eps('rdp');
      expect(prv).toBeGreaterThan(0);
      expect(prv).toBeLessThan(rdp);
      const points = await p.locator('privacy-preview lab-chart#chart-profile').getAttribute('data-points', WAIT);
      expect(Number(points)).toBeGreaterThanOrEqual(10);
      // switching to RDP: the same two numbers, RDP marked as used, and the URL carries it
      await p.locator('select[name="accountant"]').selectOption('rdp');
      await p.locator('privacy-preview tr[data-acct="rdp"].used').waitFor(WAIT);
      await p.waitForFunction(() => location.hash.includes('accountant=rdp'));
      expect(await eps('rdp')).toBe(rdp);
      expect(await eps('prv')).toBe(prv);
      await p.close();
    },
    LONG,
  );

  it(
    "privacy preview: PRV runs in the lab's worker; the page stays responsive while it computes",
    async () => {
      const p = await open(SMALL + '&algo=dpsgd');
      await p.locator('privacy-preview [data-privacy]').waitFor(WAIT);
      // 20,000 steps at q = 1/64: compositions on a mesh of a million points or more, seconds here
      await p.locator('input[name="steps"]').fill('20000');
      const computing = p.locator('privacy-preview [data-privacy-pending="computing"]');
      await computing.waitFor(WAIT);
      // the page renders two frames and answers while the worker computes: on the main thread,
      // the computation would have ended (and the note gone) before this could run
      expect(
        await p.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(1))))),
      ).toBe(1);
      expect(await computing.count()).toBe(1);
      await p.locator('input[name="dim"]').fill('9'); // the form still takes input
      await p.waitForFunction(() => location.hash.includes('dim=9'));
      // the answer arrives from the worker: the numbers for 20,000 steps
      const shown = p.locator('privacy-preview [data-privacy][data-from="worker"]');
      await shown.waitFor(WAIT);
      expect(await shown.innerText()).toMatch(/after 20,000 steps/);
      const eps = async (a: string) =>
        Number(/ε = ([\d.]+)/.exec(await p.locator(`privacy-preview tr[data-acct="${a}"] [data-eps]`).innerText())![1]);
      expect(await eps('prv')).toBeGreaterThan(0);
      expect(await eps('prv')).toBeLessThan(await eps('rdp'));
      await p.close();
    },
    LONG,
  );

  it(
    'shuffle sampling: the preview, the run and the exported model all say epsilon is no guarantee',
    async () => {
      const p = await open(SMALL + '&algo=dpsgd&sampling=shuffle&accountant=rdp');
      expect(await p.locator('privacy-preview [data-shuffle-warning]').innerText()).toMatch(/not a guarantee/);
      await p.locator('#step').click();
      await until(p, 'run-controls[data-status="paused"][data-steps="1"]');
      await p.locator('run-controls [data-eps-caveat]').waitFor();
      await p.locator('nav button[data-view="train"]').click();
      await p.locator('#runs-table [data-eps-caveat]').waitFor();
      expect(await p.locator('[data-shuffle-note]').innerText()).toMatch(/Shuffle sampling .* not a guarantee/);
      const [dl] = await Promise.all([p.waitForEvent('download'), p.locator('#download-model').click()]);
      const { metadata } = decodeSafetensors(new Uint8Array(readFileSync((await dl.path())!)));
      expect(metadata).toMatchObject({
        sampling: 'shuffle',
        accounting: 'rdp-poisson-not-guaranteed',
        epsilon_guaranteed: 'false',
      });
      await p.close();
    },
    LONG,
  );

  it(
    'sigma 0: the link, the preview, the status, the runs table, the chart and the model all say ε = ∞, no privacy',
    async () => {
      const p = await open(SMALL + '&algo=dpsgd&sigma=0');
      expect(await p.locator('[data-banner="url-privacy"]').innerText()).toMatch(/∞, no privacy/);
      const preview = await p.locator('privacy-preview [data-privacy]').innerText();
      expect(preview).toMatch(/ε = ∞/);
      expect(preview).not.toMatch(/ε = –/);
      expect(await p.locator('privacy-preview [data-no-privacy]').innerText()).toMatch(/∞, no privacy/);
      await p.locator('#step').click();
      await until(p, 'run-controls[data-status="paused"][data-steps="1"]');
      expect(await p.locator('run-controls [data-no-privacy]').innerText()).toMatch(/ε = ∞, no privacy/);
      await p.locator('nav button[data-view="train"]').click();
      expect(await p.locator('#runs-table tr[data-algo="dpsgd"] td[data-eps]').getAttribute('data-eps')).toBe('∞');
      await p.locator('#runs-table [data-eps-caveat]').waitFor();
      expect(await p.locator('lab-chart#chart-eps [data-no-privacy]').innerText()).toMatch(/ε = ∞ \(no privacy\)/);
      const [dl] = await Promise.all([p.waitForEvent('download'), p.locator('#download-model').click()]);
      const { metadata } = decodeSafetensors(new Uint8Array(readFileSync((await dl.path())!)));
      expect(metadata).toMatchObject({
        epsilon: 'Infinity',
        accounting: 'prv-poisson-not-guaranteed', // PRV is the default accountant
        epsilon_guaranteed: 'false',
      });
      await p.close();
    },
    LONG,
  );

  it('choosing Adam or momentum moves lr to a rate that suits them, unless lr was changed', async () => {
    const p = await open(SMALL);
    const lr = () => p.locator('input[name="lr"]').inputValue();
    expect(await lr()).toBe('0.5');
    await p.locator('select[name="mlpOptimizer"]').selectOption('adam');
    await expect.poll(lr).toBe('0.01');
    await p.locator('select[name="mlpOptimizer"]').selectOption('momentum');
    await expect.poll(lr).toBe('0.1');
    await p.locator('select[name="mlpOptimizer"]').selectOption('sgd');
    await expect.poll(lr).toBe('0.5');
    await p.locator('input[name="lr"]').fill('0.3');
    await p.locator('input[name="lr"]').blur();
    await p.locator('select[name="mlpOptimizer"]').selectOption('adam');
    expect(await lr()).toBe('0.3');
    await p.close();
  });

  it(
    'a diverged run stops with the step and a lower learning rate to try',
    async () => {
      // a fixed seed: from a random one the first non-finite loss is sometimes Infinity, not NaN
      const p = await open(SMALL + '&lr=10000&seed=1');
      await p.locator('#train').click();
      const banner = p.locator('[data-banner="run-error"]');
      await banner.waitFor(WAIT);
      expect(await banner.innerText()).toMatch(
        /training diverged by step \d+: the (training|held-out) loss is NaN\. Lower the learning rate \(lr 10000; try 1000\)/,
      );
      await p.close();
    },
    LONG,
  );

  it(
    'Adam on the tables: the memory meter counts its buffers and a private run trains',
    async () => {
      const p = await open(SMALL + '&algo=dpsgd&tableOptimizer=adam&weightDecay=0.01');
      expect(await p.locator('select[name="tableOptimizer"]').inputValue()).toBe('adam');
      const total = async () =>
        Number(await p.locator('memory-meter [data-total-bytes]').getAttribute('data-total-bytes'));
      const withAdam = await total();
      await p.locator('select[name="tableOptimizer"]').selectOption('sgd');
      await p.locator('input[name="weightDecay"]').fill('0');
      await expect.poll(total).toBe(withAdam - 3 * (512 + 256) * 8 * 4); // gradient, m and v of both tables
      await p.locator('select[name="tableOptimizer"]').selectOption('adam');
      await expect.poll(total).toBe(withAdam);
      await p.locator('#step').click();
      await until(p, 'run-controls[data-status="paused"][data-steps="1"]');
      await p.locator('#step').click();
      await until(p, 'run-controls[data-status="paused"][data-steps="2"]');
      // its download continues as plain SGD: Adam's state is not in the file, and the page says so
      const [dl] = await Promise.all([p.waitForEvent('download'), p.locator('#download-model').click()]);
      await p.locator('#resume-file').setInputFiles((await dl.path())!);
      await p.locator('[data-banner="resume-note"]').waitFor();
      expect(await p.locator('[data-banner="resume-note"]').innerText()).toMatch(
        /tableOptimizer adam; it continues with plain SGD/,
      );
      await until(p, 'run-controls[data-status="paused"][data-steps="2"]');
      expect(await p.locator('select[name="tableOptimizer"]').inputValue()).toBe('sgd');
      await p.close();
    },
    LONG,
  );

  it(
    'Reset discards the unfinished run and its model; Train starts afresh',
    async () => {
      const p = await open(SMALL + '&algo=lazydp');
      await p.locator('#step').click();
      await until(p, 'run-controls[data-status="paused"][data-steps="1"]');
      await p.locator('nav button[data-view="train"]').click();
      await p.locator('#runs-table tr[data-algo="lazydp"]').waitFor();
      await p.waitForSelector('#download-model:not([disabled])');
      await p.locator('#reset').click();
      await until(p, 'run-controls[data-status="idle"][data-steps="0"]');
      expect(await p.locator('#runs-table').count()).toBe(0);
      expect(await p.locator('#download-model').isDisabled()).toBe(true);
      expect(await p.locator('#reset').isDisabled()).toBe(true);
      await p.locator('#step').click();
      await until(p, 'run-controls[data-status="paused"][data-steps="1"]');
      expect(await p.locator('#runs-table tr[data-algo="lazydp"]').count()).toBe(1);
      await p.close();
    },
    LONG,
  );

  it(
    'a lost device gets a message and a reconnect; nothing typed is lost',
    async () => {
      const p = await open(SMALL + '&algo=lazydp');
      await p.locator('input[name="lr"]').fill('0.3');
      await p.waitForFunction(() => location.hash.includes('lr=0.3'));
      await p.evaluate(() =>
        (window as unknown as { __dpLab: { runner: { loseDevice(): void } } }).__dpLab.runner.loseDevice(),
      );
      const banner = p.locator('[data-banner="device-lost"]');
      await banner.waitFor(WAIT);
      expect(await banner.innerText()).toMatch(/device was lost/);
      expect(await p.locator('#train').isDisabled()).toBe(true);
      await shot(p, 'device-lost');
      await banner.locator('button.primary').click();
      await labReady(p);
      expect(await p.locator('input[name="lr"]').inputValue()).toBe('0.3');
      await p.locator('#step').click();
      await until(p, 'run-controls[data-status="paused"][data-steps="1"]');
      // stop ends the run and keeps what it measured
      await p.locator('#train').click();
      await until(p, 'run-controls[data-status="running"]');
      await p.locator('#stop').click();
      await until(p, 'run-controls[data-status="stopped"]');
      expect(await p.locator('#runs-table').innerText()).toMatch(/LazyDP/);
      // a GPU error the engine did not catch (e.g. a shader that fails validation) is shown as such
      await p.evaluate(() => {
        const dev = (window as unknown as { __dpLab: { runner: { device: GPUDevice } } }).__dpLab.runner.device;
        dev.dispatchEvent(
          new GPUUncapturedErrorEvent('uncapturederror', {
            error: new GPUValidationError('Error while parsing WGSL: :3:5 error: unresolved identifier'),
          }),
        );
      });
      const gpuErr = p.locator('[data-banner="gpu-error"]');
      await gpuErr.waitFor();
      expect(await gpuErr.innerText()).toMatch(/Shader error[\s\S]*unresolved identifier/);
      await p.close();
    },
    LONG,
  );

  it(
    'autorun=1 trains on load',
    async () => {
      const p = await open(SMALL.replace('steps=24', 'steps=4') + '&autorun=1&algo=lazydp');
      await until(p, 'run-controls[data-status="done"][data-steps="4"]');
      await p.close();
    },
    LONG,
  );

  it(
    'a first visit (no fragment) trains the default configuration at once',
    async () => {
      const p = await context.newPage();
      p.on('pageerror', (e) => errors.push(e.message));
      await p.goto(lab.url);
      await labReady(p);
      await until(p, 'run-controls[data-status="running"]');
      await expect
        .poll(async () => Number(await p.locator('run-controls').getAttribute('data-steps')), {
          timeout: WAIT.timeout,
          interval: 200,
        })
        .toBeGreaterThan(0);
      await p.locator('#stop').click();
      await until(p, 'run-controls[data-status="stopped"]');
      await p.close();
    },
    LONG,
  );

  // Criteo data read in the browser: tiny model, 26 tables of 4096 rows (from the first table)
  let cp: Page;
  const criteoFile = {
    name: 'day_0_sample.tsv',
    mimeType: 'text/tab-separated-values',
    buffer: Buffer.from(criteoText(600, 1)),
  };

  it(
    'trains on a Criteo TSV file read in the browser',
    async () => {
      cp = await open(
        'dim=4&batch=16&bottom=8&top=8&steps=12&evalEvery=4&algo=dpsgd&sweepFrom=8&sweepTo=10&sweepPoints=2&sweepSteps=2',
      );
      expect(await cp.locator('#data-source').inputValue()).toBe('synthetic');
      await cp.locator('#data-source').selectOption('criteo');
      await cp.locator('#data-file').setInputFiles(criteoFile);
      const summary = cp.locator('[data-criteo-summary]');
      await summary.waitFor(WAIT);
      expect(await summary.innerText()).toMatch(
        /Criteo:\s+480\s+training\s+\/\s+120\s+held-out examples from\s+day_0_sample\.tsv/,
      );
      expect(await cp.locator('[data-data-note]').innerText()).toMatch(
        /now 26 tables of 4,096 rows \(the first table's size\)/,
      );
      expect(await cp.locator('data-picker').getAttribute('data-parsed-in')).toBe('worker');
      // the shapes went through the store: the fields show them, and so does the URL (never the file)
      expect(await cp.locator('#f-tables-count').inputValue()).toBe('26');
      expect(await cp.locator('input[name="dense"]').inputValue()).toBe('13');
      expect(await cp.locator('input[name="pooling"]').inputValue()).toBe('1');
      expect(await cp.locator('input[name="datasetSize"]').inputValue()).toBe('480');
      expect(await cp.locator('input[name="evalSize"]').inputValue()).toBe('120');
      await cp.waitForFunction(() => location.hash.includes('datasetSize=480') && location.hash.includes('pooling=1'));
      expect(await hash(cp)).not.toMatch(/day_0|criteo/i);
      // train; then the non-private baseline (the comparison path) on the same data
      await cp.locator('#train').click();
      await until(cp, 'run-controls[data-status="done"][data-steps="12"]');
      expect(await points(cp, 'chart-loss')).toBeGreaterThan(3);
      expect(await points(cp, 'chart-auc')).toBeGreaterThan(0);
      await cp.locator('#baseline').click();
      await until(cp, '#runs-table tr[data-algo="sgd"][data-done="1"]');
      expect(await cp.locator('#runs-table tr[data-algo="dpsgd"][data-done="1"]').count()).toBe(1);
      // real clicks: no planted teacher is claimed
      expect(await cp.locator('[data-no-teacher]').innerText()).toMatch(/no planted teacher/);
      expect(await cp.locator('train-view').innerText()).not.toMatch(/planted teacher that labels/);
      // the table-size sweep re-hashes the file into each size
      await cp.locator('nav button[data-view="sweep"]').click();
      expect(await cp.locator('[data-sweep-data]').innerText()).toMatch(/day_0_sample\.tsv: each size re-hashes/);
      await cp.locator('#run-sweep').click();
      await until(cp, 'sweep-view[data-sweep="done"]'); // no sweep before on this page: it was "empty"
      expect(await points(cp, 'chart-sweep')).toBe(2 * ALGOS.length);
      expect(await cp.locator('[data-sweep-measured]').innerText()).toMatch(/Criteo file day_0_sample\.tsv, re-hashed/);
      await cp.locator('nav button[data-view="train"]').click();
      // a link carries the configuration, and says the reader must load the same file
      await cp.locator('#share').click();
      expect(await cp.locator('[data-share-data]').innerText()).toMatch(
        /day_0_sample\.tsv[\s\S]*must load the same file/,
      );
      expect(decodeState(await cp.locator('#share-link').inputValue()).state.config.datasetSize).toBe(480);
      await cp.locator('#sharebox button.ghost').click();
      // the viewport, with the panel scrolled to the Data section (a full-page shot resets it)
      await cp.locator('data-picker').scrollIntoViewIfNeeded();
      await cp.screenshot({ path: `${SHOTS}/criteo.png` });
    },
    LONG,
  );

  it(
    'a fixed seed (from a link) beside a Criteo file is called out; unticking it clears the warning',
    async () => {
      const p = await open('dim=4&batch=16&bottom=8&top=8&steps=4&algo=dpsgd&seed=42');
      await p.locator('#data-source').selectOption('criteo');
      await p.locator('#data-file').setInputFiles(criteoFile);
      await p.locator('[data-criteo-summary]').waitFor(WAIT);
      expect(await p.locator('[data-file-seed-warning]').innerText()).toMatch(/noise seed is fixed \(42/);
      await p.locator('#seed-fixed').uncheck();
      await p.locator('[data-file-seed-warning]').waitFor({ state: 'detached' });
      expect(await hash(p)).not.toMatch(/seed=/);
      await p.close();
    },
    LONG,
  );

  it(
    'a malformed Criteo file: the line at fault, and the data and typed fields are kept',
    async () => {
      await cp.locator('input[name="lr"]').fill('0.07');
      await cp.waitForFunction(() => location.hash.includes('lr=0.07'));
      const lines = criteoText(40, 3).split('\n');
      const f = lines[6].split('\t');
      f[1 + 13 + 2] = 'zz'; // C3
      lines[6] = f.join('\t');
      await cp.locator('#data-file').setInputFiles({
        name: 'bad.tsv',
        mimeType: 'text/tab-separated-values',
        buffer: Buffer.from(lines.join('\n')),
      });
      const err = cp.locator('[data-data-error]');
      await err.waitFor(WAIT);
      expect(await err.innerText()).toMatch(
        /bad\.tsv: line 7: categorical feature C3 is not hex: "zz"[\s\S]*Nothing changed: runs still use the Criteo file day_0_sample\.tsv/,
      );
      expect(await cp.locator('[data-criteo-summary]').innerText()).toMatch(/480\s+training[\s\S]*day_0_sample\.tsv/);
      expect(await cp.locator('#data-source').inputValue()).toBe('criteo');
      expect(await cp.locator('input[name="lr"]').inputValue()).toBe('0.07');
      expect(await cp.locator('#f-tables-count').inputValue()).toBe('26');
      expect(await cp.locator('input[name="datasetSize"]').inputValue()).toBe('480');
      // a shape Criteo data cannot have goes back to the synthetic task, and says so; the file is kept
      await cp.locator('input[name="pooling"]').fill('2');
      await cp.locator('data-picker[data-source="synthetic"]').waitFor();
      expect(await cp.locator('[data-data-note]').innerText()).toMatch(
        /Back on the synthetic task: the configuration now has pooling 2/,
      );
      expect(await cp.locator('#data-source').inputValue()).toBe('synthetic');
      await cp.locator('#data-source').selectOption('criteo');
      await cp.locator('data-picker[data-source="criteo"]').waitFor();
      expect(await cp.locator('input[name="pooling"]').inputValue()).toBe('1');
      // a file dropped on the picker
      const dt = await cp.evaluateHandle(
        (text) => {
          const d = new DataTransfer();
          d.items.add(new File([text], 'dropped.tsv', { type: 'text/tab-separated-values' }));
          return d;
        },
        criteoText(300, 4),
      );
      await cp.locator('#data-drop').dispatchEvent('drop', { dataTransfer: dt });
      await cp.waitForFunction(
        () => {
          const picker = document
            .querySelector('dp-lab')!
            .shadowRoot!.querySelector('config-panel')!
            .shadowRoot!.querySelector('data-picker')!.shadowRoot!;
          return /240\s+training\s+\/\s+60\s+held-out examples from\s+dropped\.tsv/.test(
            (picker.querySelector('[data-criteo-summary]') as HTMLElement | null)?.innerText ?? '',
          );
        },
        undefined,
        WAIT,
      );
      expect(await cp.locator('[data-data-error]').count()).toBe(0);
      // never trains on mismatched data: were the store to hold a stale split, the engine's check is shown
      await cp.evaluate(() => {
        const s = (window as unknown as { __dpLab: { store: { config: { datasetSize: number }; changed(): void } } })
          .__dpLab.store;
        s.config = { ...s.config, datasetSize: 239 };
        s.changed();
      });
      await cp.locator('#train').click();
      const banner = cp.locator('[data-banner="run-error"]');
      await banner.waitFor(WAIT);
      expect(await banner.innerText()).toMatch(
        /Configuration: datasetSize[\s\S]*240 training examples, the config 239 \(data source: criteo\)/,
      );
      await cp.close();
    },
    LONG,
  );

  it(
    'a large Criteo file is parsed in a Web Worker: the page keeps rendering its progress',
    async () => {
      const p = await open('evalSize=1000');
      await p.locator('#data-source').selectOption('criteo');
      // 300,000 lines (about 75 MB), made in the page and dropped on the picker
      const dt = await p.evaluateHandle(
        (text) => {
          const d = new DataTransfer();
          d.items.add(new File([text.repeat(500)], 'big.tsv', { type: 'text/tab-separated-values' }));
          return d;
        },
        criteoText(600, 5),
      );
      await p.locator('#data-drop').dispatchEvent('drop', { dataTransfer: dt });
      // the page renders the lines parsed while the file is still loading; a parse on the main
      // thread could not: nothing renders until it ends, and then the summary shows instead
      const first = await p.waitForFunction(
        () => {
          const picker = document
            .querySelector('dp-lab')!
            .shadowRoot!.querySelector('config-panel')!
            .shadowRoot!.querySelector('data-picker')!.shadowRoot!;
          const el = picker.querySelector('[data-parse-lines]');
          if (el && picker.querySelector('[data-data-loading]'))
            return {
              lines: Number(el.getAttribute('data-parse-lines')),
              total: Number(el.getAttribute('data-parse-total')),
            };
          return picker.querySelector('[data-criteo-summary], [data-data-error]') ? { done: true } : false;
        },
        undefined,
        { ...WAIT, polling: 10 },
      );
      const seen = (await first.jsonValue()) as { lines?: number; total?: number; done?: boolean };
      expect(seen.done).toBeUndefined();
      expect(seen.total).toBe(300_000);
      expect(seen.lines).toBeLessThan(300_000);
      await until(p, '[data-criteo-summary]');
      expect(await p.locator('[data-criteo-summary]').innerText()).toMatch(
        /299,000\s+training\s+\/\s+1,000\s+held-out examples from\s+big\.tsv/,
      );
      expect(await p.locator('data-picker').getAttribute('data-parsed-in')).toBe('worker');
      expect(await p.locator('input[name="datasetSize"]').inputValue()).toBe('299000');
      await p.close();
    },
    LONG,
  );

  it('a Criteo file where no Web Worker can start is parsed on the main thread', async () => {
    const p = await context.newPage();
    await p.route(/criteo-worker[^/]*\.js$/, (r) => r.abort());
    await open('evalSize=50', p);
    await p.locator('#data-source').selectOption('criteo');
    await p.locator('#data-file').setInputFiles({ ...criteoFile, name: 'fallback.tsv' });
    await until(p, '[data-criteo-summary]');
    expect(await p.locator('[data-criteo-summary]').innerText()).toMatch(
      /550\s+training\s+\/\s+50\s+held-out examples from\s+fallback\.tsv/,
    );
    expect(await p.locator('data-picker').getAttribute('data-parsed-in')).toBe('main');
    await p.close();
  });

  it(
    'teaching view: after a lost device and Reconnect, a fresh teaching run on the new device',
    async () => {
      const p = await open(SMALL + '&algo=lazydp&view=teach');
      await p.locator('#teach-step').click();
      await until(p, 'teach-view[data-step="1"]');
      await p.waitForSelector('#teach-step[aria-disabled="false"]', WAIT);
      await p.evaluate(() =>
        (window as unknown as { __dpLab: { runner: { loseDevice(): void } } }).__dpLab.runner.loseDevice(),
      );
      const banner = p.locator('[data-banner="device-lost"]');
      await banner.waitFor(WAIT);
      await banner.locator('button.primary').click();
      await labReady(p);
      // the old trainer died with its device: the view starts over instead of stepping it
      await p.waitForSelector('teach-view[data-step="0"]', WAIT);
      await p.locator('#teach-step').click();
      await until(p, 'teach-view[data-step="1"]');
      await p.waitForSelector('#teach-step[aria-disabled="false"]', WAIT);
      expect(await p.locator('[data-banner="run-error"]').count()).toBe(0);
      const pending = await p
        .locator('#grid-lazy .cell')
        .evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-pending'))));
      expect(Math.max(...pending)).toBe(1);
      await p.close();
    },
    LONG,
  );

  it(
    'Reset during "Download model" waits for the file: streamed to the chosen file, complete and flushed',
    async () => {
      const p = await context.newPage();
      // a save dialog that picks a file in the origin-private file system (the browser's own
      // writer, which keeps the file only when closed); Reset is pressed as the first bytes arrive
      await p.addInitScript(() => {
        (window as unknown as { showSaveFilePicker: unknown }).showSaveFilePicker = async (o: {
          suggestedName: string;
        }) => {
          (window as unknown as { picked: string }).picked = o.suggestedName;
          const file = await (await navigator.storage.getDirectory()).getFileHandle(o.suggestedName, { create: true });
          return {
            async createWritable() {
              const out = await file.createWritable();
              let first = true;
              return {
                write(b: Uint8Array) {
                  if (first) {
                    first = false;
                    const controls = document
                      .querySelector('dp-lab')!
                      .shadowRoot!.querySelector('run-controls')!.shadowRoot!;
                    controls.querySelector<HTMLButtonElement>('#reset')!.click();
                  }
                  return out.write(b as Uint8Array<ArrayBuffer>);
                },
                close: () => out.close(),
                abort: () => out.abort(),
              };
            },
          };
        };
      });
      await open(SMALL + '&algo=lazydp', p);
      for (let k = 1; k <= 3; k++) {
        await p.locator('#step').click();
        await until(p, `run-controls[data-status="paused"][data-steps="${k}"]`);
      }
      await p.locator('#download-model').click();
      await until(p, 'run-controls[data-status="idle"][data-steps="0"]');
      expect(await p.locator('[data-banner="run-error"]').count()).toBe(0);
      const bytes = await p.evaluate(async () => {
        const name = (window as unknown as { picked: string }).picked;
        const f = await (await (await navigator.storage.getDirectory()).getFileHandle(name)).getFile();
        return [name, Array.from(new Uint8Array(await f.arrayBuffer()))] as const;
      });
      expect(bytes[0]).toBe('dp-lab-lazydp-3steps.safetensors');
      const file = decodeSafetensors(new Uint8Array(bytes[1]));
      expect(file.metadata).toMatchObject({ algo: 'lazydp', steps: '3', pending_noise_flushed: 'true' });
      for (const name of ['tables.0', 'tables.1', 'bottom.0.weight', 'top.0.weight']) {
        const data = file.tensors.get(name)!.data;
        expect(data.some((x) => x !== 0)).toBe(true); // the model, not the zeros of a destroyed trainer
      }
      await p.close();
    },
    LONG,
  );

  it(
    'a model file that cannot be finished (device lost while writing) is not kept',
    async () => {
      const p = await context.newPage();
      type W = { calls: string[]; picked: string };
      await p.addInitScript(() => {
        const w = window as unknown as W & { showSaveFilePicker: unknown; __dpLab: { runner: { loseDevice(): void } } };
        w.calls = [];
        w.showSaveFilePicker = async (o: { suggestedName: string }) => {
          w.picked = o.suggestedName;
          const file = await (await navigator.storage.getDirectory()).getFileHandle(o.suggestedName, { create: true });
          return {
            async createWritable() {
              const out = await file.createWritable();
              return {
                write(b: Uint8Array) {
                  w.calls.push('write');
                  if (w.calls.length === 1) w.__dpLab.runner.loseDevice(); // the GPU goes after the header
                  return out.write(b as Uint8Array<ArrayBuffer>);
                },
                close: () => (w.calls.push('close'), out.close()),
                abort: () => (w.calls.push('abort'), out.abort()),
              };
            },
          };
        };
      });
      await open(SMALL + '&algo=lazydp', p);
      await p.locator('#step').click();
      await until(p, 'run-controls[data-status="paused"][data-steps="1"]');
      await p.locator('#download-model').click();
      await p.locator('[data-banner="device-lost"]').waitFor(WAIT);
      await p.waitForFunction(() => (window as unknown as W).calls.includes('abort'), undefined, WAIT);
      const calls = await p.evaluate(() => (window as unknown as W).calls);
      expect(calls).not.toContain('close');
      // the browser dropped what was written: the picked file holds nothing, never part of a model
      const size = await p.evaluate(async () => {
        const h = await (await navigator.storage.getDirectory()).getFileHandle((window as unknown as W).picked);
        return (await h.getFile()).size;
      });
      expect(size).toBe(0);
      await p.close();
    },
    LONG,
  );

  it(
    '"Open model…" checks every tensor of the file before the paused run gives way',
    async () => {
      const p = await open(SMALL + '&algo=lazydp');
      await p.locator('#step').click();
      await until(p, 'run-controls[data-status="paused"][data-steps="1"]');
      const [dl] = await Promise.all([p.waitForEvent('download'), p.locator('#download-model').click()]);
      const good = decodeSafetensors(new Uint8Array(readFileSync((await dl.path())!)));
      // the same model with one table cut short: metadata and every other tensor still fine
      const tensors = [...good.tensors].map(([name, t]) => ({
        name,
        shape: name === 'tables.1' ? [128, 8] : t.shape,
        data: name === 'tables.1' ? t.data.slice(0, 128 * 8) : t.data,
      }));
      const bad = encodeSafetensors(tensors, good.metadata);
      await p.waitForSelector('#resume-model:not([disabled])');
      const before = await hash(p);
      await p
        .locator('#resume-file')
        .setInputFiles({ name: 'cut.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(bad) });
      await p.locator('[data-banner="run-error"]').waitFor(WAIT);
      expect(await p.locator('[data-banner="run-error"]').innerText()).toMatch(
        /Could not continue from cut\.safetensors: checkpoint: .*tables\.1 has shape \[128,8\], (this model needs|its config makes) \[256,8\]/,
      );
      expect(await hash(p)).toBe(before);
      expect(await p.locator('run-controls').getAttribute('data-status')).toBe('paused');
      expect(await p.locator('run-controls').getAttribute('data-steps')).toBe('1');
      await p.locator('#step').click();
      await until(p, 'run-controls[data-status="paused"][data-steps="2"]');
      await p.close();
    },
    LONG,
  );

  it(
    'a link cannot raise the memory limit above the default without a click, even with autorun=1',
    async () => {
      const p = await open(SMALL.replace('steps=24', 'steps=2') + '&memoryLimit=4096&autorun=1&algo=sgd');
      const banner = p.locator('[data-banner="memory-limit"]');
      await banner.waitFor(WAIT);
      expect(await banner.innerText()).toMatch(/4096 GiB/);
      expect(await p.locator('input[name="memoryLimit"]').inputValue()).toBe('4');
      await until(p, 'run-controls[data-status="done"][data-steps="2"]'); // autorun, under the default limit
      expect(await hash(p)).not.toMatch(/memoryLimit=4096/);
      await banner.locator('button.primary').click();
      await p.waitForFunction(() => location.hash.includes('memoryLimit=4096'));
      expect(await p.locator('input[name="memoryLimit"]').inputValue()).toBe('4096');
      await p.close();
    },
    LONG,
  );

  it(
    'Reset while a run is starting cancels it',
    async () => {
      const p = await open(SMALL + '&algo=dpsgd&tables=65536,256');
      type R = { __dpLab: { runner: { train(): Promise<void>; reset(): Promise<void> } } };
      // Train and Reset in one task: Reset lands while the trainer is still being made
      await p.evaluate(async () => {
        const r = (window as unknown as R).__dpLab.runner;
        const started = r.train();
        await r.reset();
        await started;
      });
      await until(p, 'run-controls[data-status="idle"][data-steps="0"]');
      expect(await p.locator('#train').isEnabled()).toBe(true);
      await p.locator('nav button[data-view="train"]').click();
      expect(await p.locator('#runs-table').count()).toBe(0);
      expect(
        await p.evaluate(
          () =>
            (window as unknown as { __dpLab: { runner: { trainer?: unknown } } }).__dpLab.runner.trainer === undefined,
        ),
      ).toBe(true);
      await p.close();
    },
    LONG,
  );

  it(
    'a comparison beside a paused run counts both against the memory limit',
    async () => {
      // each run needs about 9.2 MiB: one fits in 16 MiB, two do not
      const p = await open(
        SMALL.replace('tables=512,256', 'tables=300000') + '&algo=sgd&memoryLimit=0.015625&benchSteps=2',
      );
      await p.locator('#step').click();
      await until(p, 'run-controls[data-status="paused"][data-steps="1"]');
      await p.locator('nav button[data-view="stages"]').click();
      await p.locator('#run-all').click();
      await p.locator('[data-banner="skip-lazydp-exact"]').waitFor(WAIT);
      await p.waitForSelector('#run-all:not([disabled])', WAIT);
      for (const a of ALGOS)
        expect(await p.locator(`[data-banner="skip-${a}"]`).innerText()).toMatch(
          /too big[\s\S]*the paused run keeps on the GPU/,
        );
      // the only bar is the paused run's own step
      expect(await p.locator('#stages-table tr[data-algo]').count()).toBe(1);
      // the paused run is untouched and continues
      await p.locator('#step').click();
      await until(p, 'run-controls[data-status="paused"][data-steps="2"]');
      await p.close();
    },
    LONG,
  );

  it('an unreachable target epsilon keeps Train disabled with the reason; delta is formatted', async () => {
    const p = await open(SMALL + '&algo=dpsgd&targetEpsilon=0.01');
    const why = p.locator('[data-privacy-problem]');
    await why.waitFor(WAIT);
    expect(await why.innerText()).toMatch(/targetEpsilon 0\.01 is unreachable/);
    expect(await p.locator('#train').isDisabled()).toBe(true);
    expect(await p.locator('#step').isDisabled()).toBe(true);
    await p.locator('input[name="targetEpsilon"]').fill('4');
    await why.waitFor({ state: 'detached' });
    expect(await p.locator('#train').isEnabled()).toBe(true);
    expect(await p.locator('[data-privacy]').innerText()).toMatch(/δ = 10⁻⁵/);
    await p.close();
  });
});
