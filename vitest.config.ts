import { defineConfig } from 'vitest/config';

// Tests run in node. GPU tests get a real WebGPU device from Dawn (the `webgpu` package),
// on SwiftShader where there is no GPU; UI tests drive the system Chromium with playwright-core.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    setupFiles: ['src/node/float16-shim.ts'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
