// The Criteo parser off the page's main thread: a Web Worker that reads a user's TSV file (up to
// 512 MiB), parses it with src/data/criteo.ts and sends the typed arrays back as transferables
// (moved, not copied). The file's text stays here, so hashing it into other table sizes (an edit,
// the table-size sweep) sends only the sizes. One worker per file (src/ui/workers/data-source.ts); requests
// are answered in order. Errors (a malformed line, an unreadable file) are posted back with their
// name and message; the page re-throws them.

import { parseCriteo } from '../../data/criteo';
import type { LabData } from '../../data/synthetic';

/** A parse of the file into `rows` with `evalSize` held out; the first one carries the file. */
export interface ParseRequest {
  id: number;
  rows: number[];
  evalSize: number;
  /** the file to read (kept as text for the next requests) */
  file?: Blob;
  /** or its text, when the page only had something shaped like a file */
  text?: string;
}

export type ParseReply =
  | { id: number; type: 'progress'; stage: 'reading' | 'parsing'; lines: number; total: number }
  | { id: number; type: 'done'; data: LabData }
  /** read: the file could not be read (or no text is held): the page sends the file again next time */
  | { id: number; type: 'error'; name: string; message: string; read: boolean };

/** Every buffer of the data, once each: they are moved to the page. */
export function buffersOf(data: LabData): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  for (const d of [data.train, data.eval])
    for (const a of [d.dense, d.labels, d.prob, ...d.idx]) if (a) set.add(a.buffer as ArrayBuffer);
  return [...set];
}

let text: string | undefined;
let queue: Promise<void> = Promise.resolve();

function post(reply: ParseReply, transfer: Transferable[] = []): void {
  self.postMessage(reply, { transfer });
}

async function handle(req: ParseRequest): Promise<void> {
  const { id } = req;
  let reading = false;
  try {
    if (req.file) {
      reading = true;
      text = undefined; // a new file: the old text goes first
      post({ id, type: 'progress', stage: 'reading', lines: 0, total: 0 });
      text = await req.file.text();
      reading = false;
    } else if (req.text !== undefined) text = req.text;
    if (text === undefined) {
      reading = true;
      throw new Error('the file is not held by the parser: read it again');
    }
    const data = parseCriteo(text, req.rows, req.evalSize, (lines, total) =>
      post({ id, type: 'progress', stage: 'parsing', lines, total }),
    );
    post({ id, type: 'done', data }, buffersOf(data));
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    post({ id, type: 'error', name: err.name, message: err.message, read: reading });
  }
}

self.onmessage = (e: MessageEvent<ParseRequest>) => {
  const req = e.data;
  queue = queue.then(() => handle(req));
};
