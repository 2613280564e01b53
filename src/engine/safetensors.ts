// The safetensors format: 8-byte little-endian header length, a JSON header mapping each tensor
// name to {dtype, shape, data_offsets} (plus "__metadata__", string to string), then the raw
// little-endian data, tensors back to back.
import type { NamedTensor } from './types';

/**
 * The file up to the first tensor's data: length prefix and JSON header for F32 tensors of these
 * shapes, stored back to back in this order. Lets a writer stream tables larger than memory.
 */
export function safetensorsHeader(
  specs: { name: string; shape: number[] }[],
  metadata: Record<string, string> = {},
): { bytes: Uint8Array; dataBytes: number } {
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
    if (n !== t.data.length)
      throw new Error(`tensor ${t.name}: shape ${t.shape} does not match ${t.data.length} values`);
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
export function parseHeader(
  header: Uint8Array,
  size: number,
  what = 'safetensors',
): { metadata: Record<string, string>; entries: SafetensorsEntry[] } {
  let json: Record<string, unknown>;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(header);
    if (!text.startsWith('{')) throw new Error('not an object');
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${what}: header is not a JSON object: ${(e as Error).message}`, { cause: e });
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  const show = (v: unknown) => {
    const s = JSON.stringify(v) ?? String(v);
    return s.length > 60 ? s.slice(0, 60) + '…' : s;
  };
  const dataStart = 8 + header.length;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  // every entry is type-checked before use: a hostile header gets a message naming the entry,
  // never a TypeError from reading a field that is not there
  for (const [name, v] of Object.entries(json)) {
    const bad = (m: string) => new Error(`${what}: ${JSON.stringify(name.slice(0, 80))}: ${m}`);
    if (name === '__metadata__') {
      if (!isObject(v)) throw bad(`must be an object of strings, got ${show(v)}`);
      for (const [k, x] of Object.entries(v)) {
        if (typeof x !== 'string') throw new Error(`${what}: metadata ${k} is not a string`);
        metadata[k] = x;
      }
      continue;
    }
    if (!isObject(v)) throw bad(`expected {dtype, shape, data_offsets}, got ${show(v)}`);
    const { dtype, shape, data_offsets: offs } = v;
    if (typeof dtype !== 'string') throw bad(`dtype must be a string, got ${show(dtype)}`);
    if (dtype !== 'F32') throw bad(`unsupported dtype ${show(dtype)} (this lab writes F32 only)`);
    if (!Array.isArray(shape) || shape.length > 8 || !shape.every(isCount))
      throw bad(`shape must be a list of whole numbers >= 0, got ${show(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isCount))
      throw bad(`data_offsets must be two whole numbers >= 0, got ${show(offs)}`);
    const [a, b] = offs as [number, number];
    if (a > b) throw bad(`data_offsets [${a}, ${b}] run backwards`);
    const count = (shape as number[]).reduce((x, y) => x * y, 1);
    if (!Number.isSafeInteger(count * 4) || b - a !== count * 4)
      throw bad(`${b - a} bytes for shape [${shape}] (F32 needs ${count * 4})`);
    if (dataStart + b > size) throw bad(`data out of bounds (ends at byte ${dataStart + b} of a ${size}-byte file)`);
    entries.push({ name, shape: shape as number[], begin: dataStart + a, end: dataStart + b });
  }
  return { metadata, entries };
}

/**
 * The strict layout rule, for the strict reader and the checkpoint reader alike: tensors back to
 * back from the end of the header (at `dataStart`) to the end of a file of `size` bytes.
 */
export function checkLayout(entries: SafetensorsEntry[], dataStart: number, size: number, what = 'safetensors'): void {
  // tensors back to back from the end of the header to the end of the file: no overlap, no gap,
  // no trailing bytes (data a reader could not account for)
  const spans = [...entries].sort((x, y) => x.begin - y.begin || x.end - y.end);
  let end = dataStart;
  for (const e of spans) {
    if (e.begin < end) throw new Error(`${what}: ${JSON.stringify(e.name)}: overlaps the tensor before it`);
    if (e.begin > end)
      throw new Error(`${what}: ${JSON.stringify(e.name)}: tensor data not contiguous (a gap before it)`);
    end = e.end;
  }
  if (end !== size) throw new Error(`${what}: ${size - end} trailing bytes after the last tensor`);
}

/** A strict reader (the format's rules: offsets contiguous, in bounds, sizes matching dtype x shape). */
export function decodeSafetensors(bytes: Uint8Array): {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
} {
  const n = headerLength(bytes, bytes.length);
  const { metadata, entries } = parseHeader(bytes.subarray(8, 8 + n), bytes.length);
  checkLayout(entries, 8 + n, bytes.length);
  const tensors = new Map<string, NamedTensor>();
  for (const e of entries)
    tensors.set(e.name, { name: e.name, shape: e.shape, data: new Float32Array(bytes.slice(e.begin, e.end).buffer) });
  return { tensors, metadata };
}
