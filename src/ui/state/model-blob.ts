// "Download model" where the browser has no save dialog (Firefox, Safari): the file is built as a
// Blob from the export's pieces, folded in as they come, so the page never holds the whole model
// as JavaScript arrays (the browser keeps a Blob's parts by reference, and large ones on disk
// where it can), and the user is told the file's size before it starts.
import { fmtBytes } from '../../engine';

/** Bytes of an export piece the lab asks for at a time (a table a few rows at a time). */
export const DOWNLOAD_PIECE_BYTES = 8 << 20;

/**
 * Pieces of bytes kept as one Blob: whenever more than `hold` bytes wait as arrays, they are
 * folded into the Blob and the arrays dropped. `peakHeld` is the most bytes ever waiting.
 */
export class BlobAssembler {
  private blob: Blob;
  private waiting: Uint8Array[] = [];
  private waitingBytes = 0;
  peakHeld = 0;

  constructor(
    private readonly hold = 16 << 20,
    private readonly type = 'application/octet-stream',
  ) {
    this.blob = new Blob([], { type });
  }

  add(bytes: Uint8Array): void {
    this.waiting.push(bytes);
    this.waitingBytes += bytes.length;
    this.peakHeld = Math.max(this.peakHeld, this.waitingBytes);
    if (this.waitingBytes >= this.hold) this.fold();
  }

  private fold(): void {
    if (!this.waiting.length) return;
    this.blob = new Blob([this.blob, ...(this.waiting as BlobPart[])], { type: this.type });
    this.waiting = [];
    this.waitingBytes = 0;
  }

  /** The whole file; the assembler holds no arrays after it. */
  finish(): Blob {
    this.fold();
    return this.blob;
  }
}

/** What the lab says before it builds a model of `bytes` in the page (no save dialog here). */
export function downloadNote(bytes: number): string {
  return `building the ${fmtBytes(bytes)} model file in the browser, then downloading it (no save dialog in this browser; pending noise flushed first)`;
}
