// Which address a link starts from: the configured hosted lab (LAB_URL) when there is one, the
// page's own address otherwise; a folder gets its slash (the build loads assets relative to it).
import { describe, expect, it } from 'vitest';
import { labLinkBase } from '../../src/config/lab-url';

const HERE = 'http://127.0.0.1:4173/lab/';

describe('labLinkBase', () => {
  it('uses the page itself when LAB_URL is not set', () => {
    expect(labLinkBase(undefined, HERE)).toBe(HERE);
    expect(labLinkBase('', HERE)).toBe(HERE);
    expect(labLinkBase('  ', HERE)).toBe(HERE);
  });

  it('uses LAB_URL when set, wherever the page is served', () => {
    expect(labLinkBase('https://you.github.io/dp-webgpu-lab/', HERE)).toBe('https://you.github.io/dp-webgpu-lab/');
    expect(labLinkBase(' https://lab.example.org/ ', HERE)).toBe('https://lab.example.org/');
    expect(labLinkBase('https://lab.example.org', HERE)).toBe('https://lab.example.org/');
  });

  it('gives a folder its trailing slash and keeps a page name', () => {
    expect(labLinkBase('https://you.github.io/dp-webgpu-lab', HERE)).toBe('https://you.github.io/dp-webgpu-lab/');
    expect(labLinkBase('https://host.edu/courses/dp/lab', HERE)).toBe('https://host.edu/courses/dp/lab/');
    expect(labLinkBase('https://host.edu/lab/index.html', HERE)).toBe('https://host.edu/lab/index.html');
  });

  it('drops a fragment, since the link adds its own', () => {
    expect(labLinkBase('https://host.edu/lab/#algo=lazydp', HERE)).toBe('https://host.edu/lab/');
  });

  it.each(['lab/', '/lab/', 'you.github.io/lab', 'ftp://host/lab/', 'javascript:alert(1)'])(
    'refuses %s, naming LAB_URL and what to give',
    (bad) => {
      expect(() => labLinkBase(bad, HERE)).toThrow(/^LAB_URL: .*absolute http\(s\) URL/);
    },
  );
});
