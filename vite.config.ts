import { defineConfig } from 'vite';
import { labLinkBase } from './src/config/lab-url.ts';

// The lab is a static page: index.html + src/ui. WGSL programs live in shaders/ and are
// imported as strings with `?raw`, so the browser, the tests and the CLI bundle share them.
// base './': the build works from any folder of any static host (docs/hosting.md). LAB_URL, when
// set, is the hosted lab's address that share links point at; a bad one fails the build here.
export default defineConfig({
  base: './',
  build: { target: 'es2022', outDir: 'dist' },
  define: { __LAB_URL__: JSON.stringify(labLinkBase(process.env.LAB_URL, '')) },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
});
