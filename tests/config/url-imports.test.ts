// Link code is pure (issues 18 and 22): encoding and decoding a link import neither the privacy
// accountants nor the engine or its kernels, so opening a link never computes epsilon on the
// page's main thread. Read from the source files' imports, followed transitively.

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Relative imports of a TypeScript file (static, dynamic and re-exports; type-only ones included). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
  specs.push(...[...text.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]));
  specs.push(...[...text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)].map((m) => m[1]));
  return specs
    .filter((s) => s.startsWith('.'))
    .map((s) => {
      // a shader imported as text ('…wgsl?raw') is a leaf of the graph
      const base = join(dirname(file), s.replace(/\?.*$/, ''));
      const hit = [`${base}.ts`, join(base, 'index.ts'), base].find((f) => existsSync(f) && !f.endsWith('/'));
      if (!hit) throw new Error(`${relative(root, file)}: cannot resolve ${s}`);
      return hit;
    });
}

/** Every source file reachable from `entry`, as paths relative to the repository. */
function closure(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [join(root, entry)];
  while (todo.length) {
    const f = todo.pop()!;
    const rel = relative(root, f);
    if (seen.has(rel)) continue;
    seen.add(rel);
    if (f.endsWith('.ts')) todo.push(...importsOf(f));
  }
  return seen;
}

// src/engine/types.ts holds only the stage names and result types (checked below to import nothing);
// the algorithm registry (src/algorithms/) is reached through the schema, which enumerates it: its
// modules must stay plain descriptions, and this test fails if one of them reaches the accountants
const forbidden = (f: string) =>
  /^src\/(privacy|kernels|noise|reference)\//.test(f) ||
  (f.startsWith('src/engine/') && f !== 'src/engine/types.ts') ||
  f.startsWith('shaders/');

describe('link code is pure', () => {
  it('the import reader sees through re-exports and index files (it can fail)', () => {
    const ui = closure('src/ui/workers/privacy-compute.ts');
    expect(ui.has('src/engine/accounting.ts')).toBe(true);
    expect([...ui].some((f) => f.startsWith('src/privacy/'))).toBe(true);
  });

  for (const entry of ['src/config/url.ts', 'src/config/url-results.ts', 'src/config/url-text.ts']) {
    it(`${entry} reaches neither the accountants nor the engine`, () => {
      const reached = [...closure(entry)];
      expect(reached.filter(forbidden)).toEqual([]);
    });
  }

  it('src/engine/types.ts, the one engine file links read, imports nothing', () => {
    expect(importsOf(join(root, 'src/engine/types.ts'))).toEqual([]);
  });
});
