// shaders/README.md lists every WGSL file: each program in its table, each library in its own.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = path.resolve(__dirname, '../../shaders');
const readme = readFileSync(path.join(dir, 'README.md'), 'utf8');

describe('shaders/README.md', () => {
  it('names every program and every library', () => {
    const programs = readdirSync(dir).filter((f) => f.endsWith('.wgsl'));
    const libs = readdirSync(path.join(dir, 'lib')).filter((f) => f.endsWith('.wgsl'));
    expect(programs.length).toBeGreaterThan(20);
    const missing = [
      ...programs.filter((f) => !readme.includes(`| \`${f}\` |`)),
      ...libs.filter((f) => !readme.includes(`| \`lib/${f}\` |`)),
    ];
    expect(missing).toEqual([]);
  });
});
