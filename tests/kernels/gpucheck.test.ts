// The bundled correctness check (npm run build:gpucheck): built into a temporary folder, run as
// the GPU machine runs it (node, the bundle, --json), every check passes here on SwiftShader and
// the JSON has the shape scripts/gpu-bench.sh stores.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { getTestDevice } from '../helpers/gpu';
import { runChecks } from '../../src/gpucheck/check';
import { ALGORITHMS } from '../../src/algorithms';

describe('gpucheck bundle', () => {
  it('builds into one file, and every check passes with --json (adapter, pass/fail per check)', () => {
    // inside the project (git-ignored), so that node resolves `webgpu` from its node_modules
    mkdirSync('dist-gpucheck', { recursive: true });
    const dir = mkdtempSync(path.join('dist-gpucheck', 'test-'));
    try {
      const out = path.join(dir, 'gpucheck.mjs');
      execFileSync('node', ['scripts/build-cli.mjs', '--quiet', '--entry', 'src/gpucheck/main.ts', '--out', out]);
      const r = JSON.parse(
        execFileSync('node', [out, '--json'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
          timeout: 110_000,
        })
          .trim()
          .split('\n')
          .pop()!,
      );
      expect(typeof r.adapter.vendor).toBe('string');
      expect(r.adapter.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
      const failed = r.checks.filter((c: { pass: boolean }) => !c.pass);
      expect(failed, JSON.stringify(failed)).toEqual([]);
      expect(r).toMatchObject({ ok: true, failed: 0, passed: r.checks.length });
      for (const c of r.checks) {
        expect(Object.keys(c).sort()).toEqual(['detail', 'ms', 'name', 'pass']);
        expect(typeof c.ms).toBe('number');
      }
      const names: string[] = r.checks.map((c: { name: string }) => c.name);
      expect(new Set(names).size).toBe(names.length);
      for (const what of [
        'gather',
        'sort',
        'segsum',
        'norms',
        'matmul',
        'wgrad',
        'optimizer',
        'noise: eager',
        'lazy exact',
        'lazy aggregated',
        'whole step: dpsgd',
        'whole step: lazydp',
        'lazy = eager',
        'noise layout',
        'fest map',
        'fest update',
        'fest apply',
        'fest mask',
      ])
        expect(
          names.some((n) => n.startsWith(what)),
          what,
        ).toBe(true);
      // every registered algorithm's whole step against the oracle step it declares
      for (const a of ALGORITHMS)
        expect(names, a.name).toContain(`whole step: ${a.name} on the GPU = the TypeScript reference step`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);

  it('a check that throws or makes a WebGPU validation error fails with its message; the others still run', async () => {
    const device = await getTestDevice();
    const r = await runChecks(device, [
      { name: 'throws', run: () => Promise.reject(new Error('E[3]: got 1, want 2')) },
      {
        name: 'invalid',
        run: async (d) => void d.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE }),
      },
      { name: 'fine', run: async () => 'exact' },
    ]);
    expect(r.map((x) => [x.name, x.pass])).toEqual([
      ['throws', false],
      ['invalid', false],
      ['fine', true],
    ]);
    expect(r[0].detail).toBe('E[3]: got 1, want 2');
    expect(r[1].detail).toMatch(/^WebGPU validation error/);
    expect(r[2].detail).toBe('exact');
  });
});
