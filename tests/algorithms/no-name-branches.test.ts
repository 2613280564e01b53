// Nothing outside src/algorithms/ (and the oracle in src/reference/) names an algorithm: every
// other file reads the registry, so adding an algorithm is one module there.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALGORITHMS } from '../../src/algorithms';

const ROOT = join(__dirname, '../../src');
// the oracles: the CPU reference, and the GPU check that names the pairs it compares (exact = eager)
const EXEMPT = ['algorithms', 'reference', 'gpucheck'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return EXEMPT.includes(relative(ROOT, p)) ? [] : files(p);
    return /\.ts$/.test(n) ? [p] : [];
  });
}

/**
 * The one allowance: 'sgd' is also an optimizer's name (tableOptimizer, mlpOptimizer), so a
 * line about an optimizer may say it; the registry's baseline is another matter (BASELINE).
 */
const optimizerLine = (line: string) => /optimi[sz]er|\bopt\b|OPTIMIZER|TABLE_OPTIMIZERS/i.test(line);

/** Lines allowed by name, each with its reason. */
const ALLOWED: { file: string; line: string; why: string }[] = [
  { file: 'config/config.ts', line: 'sgd: 0.5,', why: "OPTIMIZER_LR's key: the sgd optimizer's learning rate" },
];

/** Registered names in a line: as string literals ('lazydp', "dpsgd", `sgd`) or properties (.lazydp, lazydp:). */
function namesIn(line: string): string[] {
  const hits: string[] = [];
  for (const { name } of ALGORITHMS) {
    const q = name.replace(/[-]/g, '\\-');
    const literal = new RegExp(`(['"\`])${q}\\1`);
    const property = /^[a-z]+$/.test(name) ? new RegExp(`\\.${q}\\b(?![-.(/])|^\\s*${q}:`) : /(?!)/;
    if (literal.test(line) || property.test(line)) hits.push(name);
  }
  return hits;
}

describe('no algorithm names outside src/algorithms/', () => {
  it('finds the names where they are (the scan is not blind)', () => {
    expect(namesIn(`if (c.algo === 'lazydp') x();`)).toEqual(['lazydp']);
    expect(namesIn(`const a = ALGO_COLORS.dpsgd;`)).toEqual(['dpsgd']);
    expect(namesIn(`  'lazydp-exact': '#7c3aed',`)).toEqual(['lazydp-exact']);
    expect(namesIn(`  sgd: 'x',`)).toEqual(['sgd']);
    expect(namesIn(`// LazyDP defers the noise`)).toEqual([]);
  });

  it('src/ outside src/algorithms/ and src/reference/ holds none', () => {
    const found: string[] = [];
    for (const f of files(ROOT)) {
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const code = line.replace(/\/\/.*$/, ''); // comments may name them
          const allowed = ALLOWED.some((a) => relative(ROOT, f) === a.file && line.trim() === a.line);
          const hits = allowed ? [] : namesIn(code).filter((n) => !(n === 'sgd' && optimizerLine(code)));
          if (hits.length) found.push(`${relative(ROOT, f)}:${i + 1}: ${hits.join(', ')}: ${line.trim()}`);
        });
    }
    expect(found).toEqual([]);
  });
});
