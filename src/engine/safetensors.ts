// The safetensors format: 8-byte little-endian header length, a JSON header mapping each tensor
// name to {dtype, shape, data_offsets} (plus "__metadata__", string to string), then the raw
// little-endian data, tensors back to back.
import type { NamedTensor } from './trainer';

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

/** A strict reader (the format's rules: offsets contiguous, in bounds, sizes matching dtype x shape). */
export function decodeSafetensors(bytes: Uint8Array): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error('safetensors: file shorter than its header length');
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  if (n > bytes.length - 8 || n > 100_000_000) throw new Error('safetensors: header length out of range');
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  if (!text.startsWith('{')) throw new Error('safetensors: header must be a JSON object');
  const header = JSON.parse(text) as Record<string, unknown>;
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  const spans: [number, number][] = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = v as Record<string, string>;
      for (const [k, s] of Object.entries(metadata)) if (typeof s !== 'string') throw new Error(`safetensors: metadata ${k} is not a string`);
      continue;
    }
    const info = v as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (info.dtype !== 'F32') throw new Error(`safetensors: ${name}: unsupported dtype ${info.dtype}`);
    const [a, b] = info.data_offsets;
    const count = info.shape.reduce((x, y) => x * y, 1);
    if (b - a !== count * 4) throw new Error(`safetensors: ${name}: ${b - a} bytes for shape ${info.shape}`);
    if (a < 0 || b > dataLen) throw new Error(`safetensors: ${name}: data out of bounds`);
    spans.push([a, b]);
    const copy = bytes.slice(dataStart + a, dataStart + b);
    tensors.set(name, { name, shape: info.shape, data: new Float32Array(copy.buffer) });
  }
  spans.sort((x, y) => x[0] - y[0]);
  let end = 0;
  for (const [a, b] of spans) {
    if (a !== end) throw new Error('safetensors: tensor data not contiguous');
    end = b;
  }
  if (end !== dataLen) throw new Error('safetensors: trailing bytes after the last tensor');
  return { tensors, metadata };
}
