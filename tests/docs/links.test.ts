// The documentation points at files that exist: every relative link and image in README.md and
// docs/*.md (markdown `[..](path)`, `![..](path)`, HTML `<img src>` and `<a href>`) resolves, from
// the markdown file's folder, to a file or folder of the repo; and every repo path the prose names
// in code (`src/privacy/prv.ts`) exists, so that a moved file cannot leave a stale reference.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The text without fenced code blocks (their lines blanked, so line numbers hold). */
function withoutFences(md: string): string {
  let inFence = false;
  return md
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        inFence = !inFence;
        return '';
      }
      return inFence ? '' : line;
    })
    .join('\n');
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** Link targets to check: relative paths only (no scheme, no pure #anchor), with their line. */
function relativeLinks(md: string): { target: string; line: number }[] {
  const text = withoutFences(md).replace(/`[^`\n]*`/g, (m) => ' '.repeat(m.length)); // not code spans
  const out: { target: string; line: number }[] = [];
  const patterns = [
    /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g, // [text](path "title"), ![alt](path)
    /<(?:img|a)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']/gi, // <img src="..">, <a href="..">
  ];
  for (const re of patterns)
    for (const m of text.matchAll(re)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue; // http:, mailto:, anchors
      out.push({ target, line: lineOf(text, m.index) });
    }
  return out;
}

/** Repo paths named in code spans (`src/...`, `tests/...`), globs and placeholders aside. */
function codePaths(md: string): { target: string; line: number }[] {
  const text = withoutFences(md);
  const out: { target: string; line: number }[] = [];
  for (const m of text.matchAll(/`((?:src|tests|scripts|shaders|docs|public)\/[^`\s]*)`/g))
    if (!/[*<>{}]|\.\.\./.test(m[1])) out.push({ target: m[1], line: lineOf(text, m.index) });
  return out;
}

/** The targets of `file` that do not exist, as "file:line target". */
function broken(file: string, found: (md: string) => { target: string; line: number }[], fromRoot: boolean) {
  const md = readFileSync(join(ROOT, file), 'utf8');
  const base = fromRoot ? ROOT : dirname(join(ROOT, file));
  return found(md)
    .filter(({ target }) => {
      const path = decodeURI(target.split('#')[0].split('?')[0]);
      const abs = resolve(base, path);
      return !existsSync(abs) || relative(ROOT, abs).startsWith('..');
    })
    .map(({ target, line }) => `${file}:${line} ${target}`);
}

describe('documentation links', () => {
  it('finds links and images, and leaves out web addresses, anchors and code', () => {
    const md = [
      'See [the guide](docs/a.md#part) and ![shot](images/x.png "title").',
      '<img alt="x" src="./pic.png" width="300"> and <a href="../up.md">up</a>',
      '[web](https://example.com) [mail](mailto:a@b.c) [here](#anchor) `[not](code.md)`',
      '```',
      '[fenced](no.md)',
      '```',
    ].join('\n');
    expect(relativeLinks(md)).toEqual([
      { target: 'docs/a.md#part', line: 1 },
      { target: 'images/x.png', line: 1 },
      { target: './pic.png', line: 2 },
      { target: '../up.md', line: 2 },
    ]);
    expect(codePaths('`src/a.ts` and `src/*.ts` and `tests/x/`, `dist/y`')).toEqual([
      { target: 'src/a.ts', line: 1 },
      { target: 'tests/x/', line: 1 },
    ]);
  });

  it.each(DOCS)('every relative link and image in %s resolves to a file of the repo', (file) => {
    expect(broken(file, relativeLinks, false)).toEqual([]);
  });

  it.each(DOCS)('every repo path %s names in code exists', (file) => {
    expect(broken(file, codePaths, true)).toEqual([]);
  });
});
