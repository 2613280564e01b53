// Page helpers the UI tests share: open the lab at a URL fragment and wait for its GPU device,
// and wait for an element while failing at once if an error banner shows up instead. Every wait
// is on a DOM state the components set, never on time.
import type { BrowserContext, Page } from 'playwright-core';

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
