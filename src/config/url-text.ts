// Text helpers shared by the link's state and results fields (url.ts, url-results.ts).

// Keep ',', ':', '_' and '.' readable: all legal in a fragment (RFC 3986 pchar / "/" / "?").
export function esc(s: string): string {
  return encodeURIComponent(s).replace(/%2C/gi, ',').replace(/%3A/gi, ':');
}

export function show(s: string): string {
  const j = JSON.stringify(s);
  return j.length > 42 ? j.slice(0, 40) + '…"' : j;
}

/** Keys are echoed in messages: keep them short and printable. */
export function safeKey(k: string): string {
  const s = k.replace(/[^\x20-\x7e]/g, '?');
  return s.length > 40 ? s.slice(0, 40) + '…' : s || '(empty)';
}
