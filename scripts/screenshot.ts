// The README's picture of the lab (docs/images/lab.png), made by driving the real lab: builds it
// with Vite, serves the build on 127.0.0.1, opens it in the system Chromium (WebGPU on SwiftShader,
// no GPU needed) as a first visit, which trains the default run and then a private LazyDP run
// beside it, and takes the picture once both have finished and the ε curve is drawn. Every wait is
// on a DOM state the lab sets, never on time. Remake it when the UI changes:
//   npm run screenshot [-- --out path.png] [-- --fragment 'algo=lazydp&autorun=1&...']
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';
import { labReady, until } from '../tests/ui/page';
import { freePort, launchChromium } from '../tests/ui/server';

// the repository: this file runs from scripts/ or bundled into dist-cli/, one level down either way
const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};
const out = arg('--out', join(root, 'docs/images/lab.png'));
const fragment = arg('--fragment', ''); // empty: a first visit (the default run, then LazyDP)
// SwiftShader on a shared CPU: the default run and LazyDP take minutes there
const WAIT = { timeout: 900_000 };

const outDir = mkdtempSync(join(tmpdir(), 'dp-lab-shot-'));
const configFile = join(root, 'vite.config.ts');
await build({ root, configFile, logLevel: 'error', build: { outDir, emptyOutDir: true, reportCompressedSize: false } });
const port = await freePort();
const server = await preview({
  root,
  configFile,
  logLevel: 'error',
  build: { outDir },
  preview: { host: '127.0.0.1', port, strictPort: true, open: false },
});
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${port}/${fragment ? `#${fragment}` : ''}`);
  await labReady(page, WAIT);
  await until(page, 'run-controls[data-status="done"]', WAIT);
  if (!fragment) await until(page, '#runs-table tr[data-algo="lazydp"][data-done="1"]', WAIT);
  // the ε curve comes from the privacy worker, after the run's last step
  if (!fragment) await page.waitForSelector('lab-chart#chart-eps[data-points]:not([data-points="0"])', WAIT);
  if (errors.length) throw new Error(`the lab threw: ${errors.join('; ')}`);
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  console.log(`${out}: ${Math.round(statSync(out).size / 1024)} KiB`);
} finally {
  await browser.close();
  await server.close();
  rmSync(outDir, { recursive: true, force: true });
}
