// Where the lab lives, for the links it and the CLI make: a link is this address plus the state
// fragment. A hosted lab is configured once, by LAB_URL (at build time for the lab's share links,
// at run time or by --lab-url for `bench`); without it the lab's links point at the page itself.
// No imports: vite.config.ts loads this file too.

/**
 * The address links start from: `configured` (LAB_URL) when given, else `here` (the page's own
 * origin and path, or the CLI's local default). A folder-like path gets its trailing slash,
 * because the build loads its assets relative to the page ('./assets/…'): served as /lab, not
 * /lab/, they would be looked for in /assets/. A fragment is dropped (the link adds its own).
 * Anything but an absolute http(s) address is refused, naming the setting.
 */
export function labLinkBase(configured: string | undefined, here: string): string {
  const text = configured?.trim();
  if (!text) return here;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new Error(
      `LAB_URL: "${text}" is not an address of the lab: give an absolute http(s) URL such as ` +
        'https://you.github.io/dp-webgpu-lab/ (bench: --lab-url or LAB_URL)',
    );
  url.hash = '';
  const last = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
  if (last && !last.includes('.')) url.pathname += '/';
  return url.href;
}
