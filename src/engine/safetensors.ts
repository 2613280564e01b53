// The safetensors format: 8-byte little-endian header length, a JSON header mapping each tensor
// name to {dtype, shape, data_offsets} (plus "__metadata__", string to string), then the raw
// little-endian data, tensors back to back.
import type { NamedTensor } from './types';

/**
 * The file up to the first tensor's data: length prefix and JSON header for F32 tensors of these
 * shapes, stored back to back in this order. Lets a writer stream tables larger than memory.
 */
export function safetensorsHeader(specs: { name: string; shape: number[] }[], metadata: Record<string, string> = {}): { bytes: Uint8Array; dataBytes: number } {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of specs) {
    const size = t.shape.reduce((a, b) => a * b, 1) * 4;
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  // pad the header with spaces so the data starts 8-byte aligned
  while ((8 + new TextEncoder().encode(json).length) % 8) json += ' ';
  const hbytes = new TextEncoder().encode(json);
  const bytes = new Uint8Array(8 + hbytes.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(hbytes.length), true);
  bytes.set(hbytes, 8);
  return { bytes, dataBytes: offset };
}

export function encodeSafetensors(tensors: NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`tensor ${t.name}: shape ${t.shape} does not match ${t.data.length} values`);
  }
  const head = safetensorsHeader(tensors, metadata);
  const out = new Uint8Array(head.bytes.length + head.dataBytes);
  out.set(head.bytes);
  let p = head.bytes.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    p += t.data.byteLength;
  }
  return out;
}

/** Where one F32 tensor lies: byte offsets begin .. end in the file. */
export interface SafetensorsEntry {
  name: string;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * The header's length from a file's first 8 bytes; throws unless it fits a file of `size` bytes.
 * `what` prefixes the messages (the reader's name).
 */
export function headerLength(first8: Uint8Array, size: number, what = 'safetensors'): number {
  if (size < 8 || first8.length < 8) throw new Error(`${what}: file shorter than its header length`);
  const n = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  if (n > size - 8 || n > 100_000_000) throw new Error(`${what}: header length out of range (not a safetensors file?)`);
  return n;
}

/**
 * The JSON header (the `n` bytes after the length) of a file of `size` bytes: its metadata and
 * where each tensor lies, checked against the format's rules (F32 only here, sizes matching
 * dtype x shape, data inside the file).
 */
export function parseHeader(header: Uint8Array, size: number, what = 'safetensors'): { metadata: Record<string, string>; entries: SafetensorsEntry[] } {
  let json: Record<string, unknown>;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(header);
    if (!text.startsWith('{')) throw new Error('not an object');
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${what}: header is not a JSON object: ${(e as Error).message}`);
  }
  const dataStart = 8 + header.length;
  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, v] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = v as Record<string, string>;
      for (const [k, x] of Object.entries(metadata)) if (typeof x !== 'string') throw new Error(`${what}: metadata ${k} is not a string`);
      continue;
    }
    const info = v as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (info.dtype !== 'F32') throw new Error(`${what}: ${name}: unsupported dtype ${info.dtype}`);
    const [a, b] = info.data_offsets;
    const count = info.shape.reduce((x, y) => x * y, 1);
    if (b - a !== count * 4) throw new Error(`${what}: ${name}: ${b - a} bytes for shape ${info.shape}`);
    if (a < 0 || dataStart + b > size) throw new Error(`${what}: ${name}: data out of bounds`);
    entries.push({ name, shape: info.shape, begin: dataStart + a, end: dataStart + b });
  }
  return { metadata, entries };
}

/** A strict reader (the format's rules: offsets contiguous, in bounds, sizes matching dtype x shape). */
export function decodeSafetensors(bytes: Uint8Array): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  const n = headerLength(bytes, bytes.length);
  const { metadata, entries } = parseHeader(bytes.subarray(8, 8 + n), bytes.length);
  const tensors = new Map<string, NamedTensor>();
  for (const e of entries) tensors.set(e.name, { name: e.name, shape: e.shape, data: new Float32Array(bytes.slice(e.begin, e.end).buffer) });
  const spans = entries.map((e) => [e.begin, e.end]).sort((x, y) => x[0] - y[0]);
  let end = 8 + n;
  for (const [a, b] of spans) {
    if (a !== end) throw new Error('safetensors: tensor data not contiguous');
    end = b;
  }
  if (end !== bytes.length) throw new Error('safetensors: trailing bytes after the last tensor');
  return { tensors, metadata };
}
