// Text helpers shared by the link's state and results fields (url.ts, url-results.ts), and the
// one sanitiser for every text a link or a file brings into the lab (cleanText).

// Keep ',', ':', '_' and '.' readable: all legal in a fragment (RFC 3986 pchar / "/" / "?").
export function esc(s: string): string {
  return encodeURIComponent(s).replace(/%2C/gi, ',').replace(/%3A/gi, ':');
}

/**
 * Characters that can make shown text lie about itself: C0/C1 controls, bidirectional marks,
 * embeddings, overrides and isolates (U+202E turns "gpj.exe" around), zero-width characters,
 * line and paragraph separators, the byte-order mark.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
// eslint-disable-next-line no-control-regex
const SPACING = /[\t\n\r\u000b\u000c\u2028\u2029]+/g;

/**
 * A text from a link or a file (device and browser names, file names, labels), safe to show:
 * line breaks and tabs become one space, other control, bidi and zero-width characters are
 * removed, and it is cut to `max` characters (whole code points).
 */
export function cleanText(s: unknown, max = 200): string {
  if (typeof s !== 'string') return '';
  const t = s.replace(SPACING, ' ').replace(UNSAFE, '');
  const cps = [...t];
  return cps.length > max ? cps.slice(0, max).join('') : t;
}

/** A value echoed in a message: quoted, short, and with any unsafe character written as \uXXXX. */
export function show(s: string): string {
  const j = JSON.stringify(s).replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return j.length > 42 ? j.slice(0, 40) + '…"' : j;
}

/** Keys are echoed in messages: keep them short and printable. */
export function safeKey(k: string): string {
  const s = k.replace(/[^\x20-\x7e]/g, '?');
  return s.length > 40 ? s.slice(0, 40) + '…' : s || '(empty)';
}
