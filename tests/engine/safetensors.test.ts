// The safetensors header parser shared by the strict reader and the checkpoint reader: every
// entry type-checked, a message naming the entry for each bad one, never a raw TypeError.
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/engine/safetensors';
import { openCheckpoint } from '../../src/engine/checkpoint';

/** A file with this header object and `dataBytes` bytes of data after it. */
function file(header: unknown, dataBytes: number): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  return out;
}
const ok = { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] };

describe('safetensors header: every entry type-checked', () => {
  const cases: [string, unknown, number, RegExp][] = [
    ['entry not an object', { a: 5 }, 0, /"a": expected \{dtype, shape, data_offsets\}/],
    ['entry null', { a: null }, 0, /"a": expected/],
    ['dtype missing', { a: { shape: [1], data_offsets: [0, 4] } }, 4, /"a": dtype must be a string/],
    ['dtype not F32', { a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, 4, /"a": unsupported dtype "F16"/],
    ['shape missing', { a: { dtype: 'F32', data_offsets: [0, 4] } }, 4, /"a": shape must be a list/],
    ['shape a string', { a: { dtype: 'F32', shape: '4', data_offsets: [0, 16] } }, 16, /"a": shape must be a list/],
    [
      'fractional shape',
      { a: { dtype: 'F32', shape: [1.5, 2], data_offsets: [0, 12] } },
      12,
      /"a": shape must be a list of whole numbers/,
    ],
    [
      'negative shape',
      { a: { dtype: 'F32', shape: [-1, -4], data_offsets: [0, 16] } },
      16,
      /"a": shape must be a list of whole numbers >= 0/,
    ],
    ['offsets missing', { a: { dtype: 'F32', shape: [1] } }, 4, /"a": data_offsets must be two whole numbers/],
    [
      'fractional offsets',
      { a: { dtype: 'F32', shape: [1], data_offsets: [0.5, 4.5] } },
      8,
      /"a": data_offsets must be two whole numbers/,
    ],
    [
      'negative offsets',
      { a: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } },
      4,
      /"a": data_offsets must be two whole numbers >= 0/,
    ],
    [
      'backwards offsets',
      { a: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } },
      8,
      /"a": data_offsets \[8, 4\] run backwards/,
    ],
    ['size mismatch', { a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8, /"a": 8 bytes for shape \[3\]/],
    [
      'overlap',
      { a: ok, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } },
      16,
      /"b": overlaps the tensor before it|"a": overlaps/,
    ],
    ['gap', { a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8, /"a": tensor data not contiguous/],
    ['trailing bytes', { a: ok }, 20, /4 trailing bytes after the last tensor/],
    ['out of bounds', { a: ok }, 8, /"a": data out of bounds/],
    ['metadata not an object', { __metadata__: 'x', a: ok }, 16, /"__metadata__": must be an object of strings/],
    ['metadata value not a string', { __metadata__: { k: 1 }, a: ok }, 16, /metadata k is not a string/],
  ];
  for (const [what, header, n, re] of cases) {
    it(what, async () => {
      const bytes = file(header, n);
      expect(() => decodeSafetensors(bytes)).toThrow(re);
      let err: unknown;
      try {
        decodeSafetensors(bytes);
      } catch (e) {
        err = e;
      }
      expect(err).not.toBeInstanceOf(TypeError);
      // the checkpoint reader says the same, prefixed with its name
      await expect(openCheckpoint((o, l) => bytes.subarray(o, o + l), bytes.length)).rejects.toThrow(/^checkpoint: /);
    });
  }
  it('a well-formed file still reads', () => {
    const bytes = encodeSafetensors([{ name: 'x', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }], { k: 'v' });
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(Array.from(tensors.get('x')!.data)).toEqual([1, 2, 3, 4]);
    expect(metadata).toEqual({ k: 'v' });
  });
});
