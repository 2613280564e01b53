// Builds the lab with Vite's JS API and serves it with `vite preview` on a free port, and
// launches the system Chromium with WebGPU on SwiftShader (no GPU needed; never a downloaded
// browser). Shared by the UI tests and by scripts that take screenshots.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview, type PreviewServer, type Plugin } from 'vite';
import { chromium, type Browser } from 'playwright-core';

const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

/** Chromium flags that give WebGPU on SwiftShader here (checked: all of them find the adapter). */
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-features=Vulkan',
  '--use-angle=swiftshader',
  '--use-webgpu-adapter=swiftshader',
];

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = netServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/**
 * Until src/engine/trainer.ts exists, the UI can be developed against a CPU mock with the same
 * surface; the real engine wins when it is there (LAB_MOCK_ENGINE=1 forces the mock, for UI work
 * while the engine is broken mid-edit; never in the tests).
 */
function mockEngineWhenMissing(): Plugin {
  const real = join(root, 'src/engine/trainer.ts');
  return {
    name: 'lab-mock-engine-when-missing',
    enforce: 'pre',
    resolveId(id, importer) {
      if (id === '../engine/trainer' && importer?.includes('/src/ui/') && (!existsSync(real) || process.env.LAB_MOCK_ENGINE === '1')) return join(root, 'tests/ui/mock-trainer.ts');
      return null;
    },
  };
}

export interface Lab {
  url: string;
  server: PreviewServer;
  close(): Promise<void>;
}

export async function startLab(): Promise<Lab> {
  const outDir = mkdtempSync(join(tmpdir(), 'dp-lab-ui-'));
  await build({
    root,
    configFile: join(root, 'vite.config.ts'),
    logLevel: 'error',
    plugins: [mockEngineWhenMissing()],
    build: { outDir, emptyOutDir: true, minify: false, sourcemap: false, reportCompressedSize: false },
  });
  const port = await freePort();
  const server = await preview({
    root,
    configFile: join(root, 'vite.config.ts'),
    logLevel: 'error',
    build: { outDir },
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    server,
    async close() {
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}
