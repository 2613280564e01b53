import { defineConfig } from 'vite';

// The lab is a static page: index.html + src/ui. WGSL programs live in shaders/ and are
// imported as strings with `?raw`, so the browser, the tests and the CLI bundle share them.
export default defineConfig({
  base: './',
  build: { target: 'es2022', outDir: 'dist' },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
});
