// "Download model" without a save dialog: the file is folded into a Blob piece by piece (never
// all pieces held as arrays at once), byte for byte the pieces in order, and its size is said first.
import { describe, expect, it } from 'vitest';
import { BlobAssembler, downloadNote } from '../../src/ui/state/model-blob';
import { modelFileBytes } from '../../src/engine/export';

describe('BlobAssembler', () => {
  it('holds at most `hold` bytes plus one piece as arrays, and the Blob is the pieces in order', async () => {
    const hold = 4096;
    const file = new BlobAssembler(hold);
    const pieces = Array.from({ length: 100 }, (_, i) => new Uint8Array(1000 + (i % 7)).fill(i));
    for (const p of pieces) file.add(p);
    const total = pieces.reduce((a, p) => a + p.length, 0);
    expect(file.peakHeld).toBeGreaterThan(0);
    expect(file.peakHeld).toBeLessThan(hold + 1007);
    expect(file.peakHeld * 10).toBeLessThan(total);
    const blob = file.finish();
    expect(blob.type).toBe('application/octet-stream');
    const got = new Uint8Array(await blob.arrayBuffer());
    expect(got.length).toBe(total);
    let o = 0;
    for (const p of pieces) {
      expect(got.subarray(o, o + p.length)).toEqual(p);
      o += p.length;
    }
  });

  it('the note says the file size the export will write, before it starts', () => {
    const shapes = [
      { name: 'tables.0', shape: [1 << 20, 64] },
      { name: 'top.0.bias', shape: [1] },
    ];
    const bytes = modelFileBytes({ exportShapes: () => shapes }, { format: 'dp-webgpu-lab/1' });
    expect(bytes).toBeGreaterThan(256 * 2 ** 20);
    expect(bytes).toBeLessThan(256 * 2 ** 20 + 1024);
    expect(downloadNote(bytes)).toMatch(/building the 256(\.0)? MiB model file in the browser, then downloading it/);
  });
});
