// The model's weights in and out of the GPU: rows of a table (across its shards), every tensor
// under its export name (streamed in pieces for tables larger than memory), and a checkpoint's
// tensors copied in. Callers flush pending LazyDP noise first (the trainer does).
import type { Layout } from './model';
import type { LayerBufs, Shard } from './buffers';
import { firstNonFinite, nonFiniteError, valueAt, type Checkpoint } from './checkpoint';
import type { NamedTensor } from './types';

/** What model I/O reads and writes: the device and the model's buffers. */
export interface ModelStore {
  dev: GPUDevice;
  layout: Layout;
  shards: Shard[][];
  layers: LayerBufs[];
  /**
   * Throws once the buffers are destroyed: checked right before each read is submitted and after
   * it is mapped, so a read never copies from a destroyed buffer (Dawn then maps zeros, and an
   * export would write an all-zero model).
   */
  alive?: () => void;
}

/** Refuses to read a destroyed trainer's model: its buffers would read back as zeros. */
export function refuseIfDestroyed(destroyed: boolean): void {
  if (destroyed)
    throw new Error('the trainer was destroyed while its model was read: refused, no model is written from it');
}

/** `size` bytes of `src` at `offset`, through a staging buffer. */
export async function readBuffer(
  dev: GPUDevice,
  src: GPUBuffer,
  offset: number,
  size: number,
  alive?: () => void,
): Promise<ArrayBuffer> {
  alive?.();
  const padded = Math.max(4, Math.ceil(size / 4) * 4);
  const staging = dev.createBuffer({ size: padded, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = dev.createCommandEncoder();
  if (size > 0) enc.copyBufferToBuffer(src, offset, staging, 0, padded);
  dev.queue.submit([enc.finish()]);
  try {
    await staging.mapAsync(GPUMapMode.READ);
    alive?.();
  } catch (e) {
    staging.destroy();
    throw e;
  }
  const out = staging.getMappedRange().slice(0, size);
  staging.unmap();
  staging.destroy();
  return out;
}

/** Rows start .. start+count of a table's E or H (`width` 4-byte values per row), from the shards they lie in. */
export async function readSpan(
  m: ModelStore,
  table: number,
  which: 'E' | 'H',
  width: number,
  start: number,
  count: number,
): Promise<ArrayBuffer> {
  const out = new Uint8Array(count * width * 4);
  for (const sh of m.shards[table]) {
    const a = Math.max(start, sh.rowStart),
      b = Math.min(start + count, sh.rowStart + sh.rows);
    if (a >= b) continue;
    const at = (sh.base + a - sh.rowStart) * width * 4; // sh.base: the shard's first row in a packed buffer
    const part = await readBuffer(m.dev, sh[which]!, at, (b - a) * width * 4, m.alive);
    out.set(new Uint8Array(part), (a - start) * width * 4);
  }
  return out.buffer;
}

/** Export names and shapes, in export order: tables, then each layer's weight and bias. */
export function exportShapes(lay: Layout): { name: string; shape: number[] }[] {
  return [
    ...lay.rows.map((R, t) => ({ name: `tables.${t}`, shape: [R, lay.D] })),
    ...lay.layers.flatMap((l) => [
      { name: `${l.mlp}.${l.index}.weight`, shape: [l.outDim, l.inDim] },
      { name: `${l.mlp}.${l.index}.bias`, shape: [l.outDim] },
    ]),
  ];
}

/** Every tensor's data in export order, in pieces of at most `chunkBytes` (a table a chunk of rows at a time). */
export async function exportStream(
  m: ModelStore,
  write: (bytes: Uint8Array) => void | Promise<void>,
  chunkBytes: number,
): Promise<void> {
  const lay = m.layout;
  const rowsPer = Math.max(1, Math.floor(chunkBytes / (lay.D * 4)));
  for (let t = 0; t < lay.T; t++)
    for (let r = 0; r < lay.rows[t]; r += rowsPer)
      await write(new Uint8Array(await readSpan(m, t, 'E', lay.D, r, Math.min(rowsPer, lay.rows[t] - r))));
  for (const lb of m.layers) {
    const l = lb.layer;
    await write(new Uint8Array(await readBuffer(m.dev, lb.W, lb.offW * 4, l.inDim * l.outDim * 4, m.alive)));
    await write(new Uint8Array(await readBuffer(m.dev, lb.b, lb.offb * 4, l.outDim * 4, m.alive)));
  }
}

/** All weights under their export names, in memory. */
export async function exportTensors(m: ModelStore): Promise<NamedTensor[]> {
  const out: NamedTensor[] = [];
  const lay = m.layout;
  for (let t = 0; t < lay.T; t++) {
    out.push({
      name: `tables.${t}`,
      shape: [lay.rows[t], lay.D],
      data: new Float32Array(await readSpan(m, t, 'E', lay.D, 0, lay.rows[t])),
    });
  }
  for (const lb of m.layers) {
    const l = lb.layer;
    out.push({
      name: `${l.mlp}.${l.index}.weight`,
      shape: [l.outDim, l.inDim],
      data: new Float32Array(await readBuffer(m.dev, lb.W, lb.offW * 4, l.inDim * l.outDim * 4, m.alive)),
    });
    out.push({
      name: `${l.mlp}.${l.index}.bias`,
      shape: [l.outDim],
      data: new Float32Array(await readBuffer(m.dev, lb.b, lb.offb * 4, l.outDim * 4, m.alive)),
    });
  }
  return out;
}

/** Refuses a piece of a checkpoint tensor (starting at value `first`) that holds NaN or infinity. */
function finiteOrThrow(name: string, bytes: Uint8Array, first: number): void {
  const i = firstNonFinite(bytes);
  if (i >= 0) throw nonFiniteError(name, valueAt(bytes, i), first + i);
}

/**
 * Copies a checkpoint's weights over the model's, after checking every tensor's name and shape.
 * Tables go a chunk of rows at a time (never the whole file in memory); LazyDP's history is set
 * to the file's step (the file was flushed: every row has its noise up to it).
 */
export async function loadWeights(m: ModelStore, ck: Checkpoint): Promise<void> {
  const lay = m.layout;
  for (const w of exportShapes(lay)) {
    const got = ck.tensors.get(w.name);
    if (!got) throw new Error(`checkpoint: tensor ${w.name} is missing`);
    if (JSON.stringify(got.shape) !== JSON.stringify(w.shape))
      throw new Error(`checkpoint: ${w.name} has shape [${got.shape}], this model needs [${w.shape}]`);
  }
  const D = lay.D;
  for (let t = 0; t < lay.T; t++) {
    const e = ck.tensors.get(`tables.${t}`)!;
    for (const sh of m.shards[t]) {
      const rowsPer = Math.max(1, Math.floor((16 << 20) / (D * 4)));
      for (let r = 0; r < sh.rows; r += rowsPer) {
        const n = Math.min(rowsPer, sh.rows - r);
        const bytes = await ck.read(e.offset + (sh.rowStart + r) * D * 4, n * D * 4);
        finiteOrThrow(e.name, bytes, (sh.rowStart + r) * D);
        m.dev.queue.writeBuffer(sh.E, (sh.base + r) * D * 4, bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
      if (sh.H) {
        const H = new Uint32Array(sh.rows).fill(ck.steps);
        m.dev.queue.writeBuffer(sh.H, sh.base * 4, H.buffer, H.byteOffset, H.byteLength);
      }
    }
  }
  for (const lb of m.layers) {
    const l = lb.layer;
    // weight and bias lie in the MLP's packed buffer at their offsets
    for (const [name, buf, off] of [
      [`${l.mlp}.${l.index}.weight`, lb.W, lb.offW],
      [`${l.mlp}.${l.index}.bias`, lb.b, lb.offb],
    ] as const) {
      const e = ck.tensors.get(name)!;
      const bytes = await ck.read(e.offset, e.bytes);
      finiteOrThrow(name, bytes, 0);
      m.dev.queue.writeBuffer(buf, off * 4, bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
  }
  await m.dev.queue.onSubmittedWorkDone();
}
