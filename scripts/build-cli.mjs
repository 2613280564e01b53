// Bundles the CLI (src/cli/main.ts) into dist-cli/cli.mjs. WGSL files are inlined as strings
// (the `?raw` imports that Vite handles for the browser); `webgpu` stays external because it
// carries Dawn's native addon.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const rawPlugin = {
  name: 'raw',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: path.resolve(args.resolveDir, args.path.replace(/\?raw$/, '')),
      namespace: 'raw',
    }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, async (args) => ({
      contents: await readFile(args.path, 'utf8'),
      loader: 'text',
    }));
  },
};

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};

await build({
  entryPoints: [arg('--entry', 'src/cli/main.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: arg('--out', 'dist-cli/cli.mjs'),
  external: ['webgpu'],
  plugins: [rawPlugin],
  logLevel: process.argv.includes('--quiet') ? 'error' : 'info',
});
