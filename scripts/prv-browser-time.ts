// Dev tool: the PRV accountant's time in the browser (system Chromium, the lab's Vite dev server),
// epsilon of 20,000 steps at the settings of `bench --privacy`, each in a fresh page (cold, as the
// lab's worker is) and then once more in the same page (warm). Prints one line per setting.
//   npx esbuild scripts/prv-browser-time.ts --bundle --platform=node --format=esm --packages=external \
//     --outfile=dist-cli/prv-browser-time.mjs && node dist-cli/prv-browser-time.mjs
import { createServer } from 'vite';
import { PRIVACY_BENCH } from '../src/cli/privacy';
import { freePort, launchChromium } from '../tests/ui/server';

const port = await freePort();
const server = await createServer({ logLevel: 'error', server: { port, strictPort: true, host: '127.0.0.1' } });
await server.listen();
const browser = await launchChromium();
try {
  for (const s of PRIVACY_BENCH) {
    const page = await browser.newPage();
    // a page of the dev server without the lab running (its start-up and its own privacy worker
    // would share the CPU with the timing): the module itself, shown as text
    await page.goto(`http://127.0.0.1:${port}/src/privacy/prv.ts`);
    const r = await page.evaluate(
      async ({ s, mod }) => {
        const m = (await import(mod)) as typeof import('../src/privacy/prv');
        const time = () => {
          const t0 = performance.now();
          const e = m.computePrvEpsilon(s).epsilon;
          return { e, ms: performance.now() - t0 };
        };
        const cold = time();
        const warm = time();
        return { epsilon: cold.e, cold: cold.ms, warm: warm.ms };
      },
      { s, mod: '/src/privacy/prv.ts' },
    );
    console.log(
      `q ${s.q}, sigma ${s.sigma}, ${s.steps} steps, delta ${s.delta}: epsilon ${r.epsilon.toFixed(5)}, ` +
        `cold ${r.cold.toFixed(0)} ms, warm ${r.warm.toFixed(0)} ms`,
    );
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
