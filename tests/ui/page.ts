// Page helpers the UI tests share: open the lab at a URL fragment and wait for its GPU device,
// wait for an element while failing at once if an error banner shows up instead, and `useLab`, a
// test file's server, browser and error check in one call. Every wait
// is on a DOM state the components set, never on time.
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, startLab, type Lab } from './server';

/** The UI tests' wait: SwiftShader on two shared cores builds pipelines slowly. */
export const WAIT = { timeout: 180_000 };

/** Waits until the lab in `p` has its device. */
export async function labReady(p: Page, wait = WAIT): Promise<void> {
  await p.waitForSelector('dp-lab[data-device="ready"]', wait);
}

/**
 * Opens the lab at `url#fragment`, in a new page of a context or in a given page, collects the
 * page's uncaught errors into `errors`, and waits for the device.
 */
export async function openLab(
  where: BrowserContext | Page,
  url: string,
  fragment: string,
  errors: string[],
  wait = WAIT,
): Promise<Page> {
  const p = 'newPage' in where ? await where.newPage() : where;
  p.on('pageerror', (e) => errors.push(e.message));
  await p.goto(`${url}#${fragment}`);
  await labReady(p, wait);
  return p;
}

/** Waits for `selector`, failing at once (with its text) if an error banner shows up instead. */
export async function until(p: Page, selector: string, wait = WAIT): Promise<void> {
  const el = await p.waitForSelector(
    `${selector}, [data-banner="run-error"], [data-banner="gpu-error"], [data-banner="device-lost"]`,
    wait,
  );
  const banner = await el.getAttribute('data-banner');
  if (banner) throw new Error(`${banner} banner instead of ${selector}: ${await el.innerText()}`);
}

/** One test file's lab: its server, its browser, and a page opener that records uncaught errors. */
export interface UsedLab {
  readonly lab: Lab;
  readonly browser: Browser;
  /** uncaught page errors since the last test (each test fails on any) */
  readonly errors: string[];
  /** Opens the lab at `#fragment` in a new context (1400 × 900 unless given) and waits for its device. */
  open(fragment: string, viewport?: { width: number; height: number }): Promise<Page>;
}

/**
 * The set-up most UI tests repeat, as vitest hooks: build and serve the lab and launch Chromium
 * once for the file, fail a test that left uncaught page errors, close both at the end.
 */
export function useLab(): UsedLab {
  const used = { errors: [] as string[] } as { lab: Lab; browser: Browser; errors: string[] } & Pick<UsedLab, 'open'>;
  used.open = async (fragment, viewport = { width: 1400, height: 900 }) => {
    const ctx = await used.browser.newContext({ viewport });
    return openLab(ctx, used.lab.url, fragment, used.errors);
  };
  beforeAll(async () => {
    used.lab = await startLab();
    used.browser = await launchChromium();
  }, 240_000);
  afterEach(() => {
    expect(used.errors.splice(0), 'uncaught page errors').toEqual([]);
  });
  afterAll(async () => {
    await used.browser?.close();
    await used.lab?.close();
  });
  return used;
}
